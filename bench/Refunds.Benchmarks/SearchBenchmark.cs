using System.Diagnostics;
using System.Globalization;
using Azure.Core;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Refunds.Core.Ledger;
using Refunds.Core.Operations;

namespace Refunds.Benchmarks;

/// <summary>
/// Search and export over a ledger of 100,000 refund requests (30 days, 5,000 orders of 20 requests, one charge per
/// order): the ledger rows are written in entity-group batches per order, the request index through
/// <see cref="RequestIndex.SeedAsync"/>. Each filter kind is timed (median of a few runs) with the table requests it
/// sent, so the figures show which searches read only their partitions.
/// </summary>
public static class SearchBenchmark
{
    private const int RequestsPerOrder = 20;
    private static readonly string[] States = ["Succeeded", "Failed", "DeadLettered", "Rejected", "NeedsReview"];

    public static async Task<int> RunAsync(string[] args)
    {
        var count = Option(args, "--requests", 100_000);
        var rounds = Option(args, "--rounds", 3);
        var connection = Environment.GetEnvironmentVariable("REFUNDS_TEST_STORAGE") is { Length: > 0 } c ? c : "UseDevelopmentStorage=true";
        var counter = new CountingPolicy();
        var options = new TableClientOptions();
        options.AddPolicy(counter, HttpPipelinePosition.PerCall);

        // Azurite works one request at a time and an insert into a partition scans that partition, so a batch into the
        // 90,000-row state partition queues behind the others for minutes: past the SDK's 100 s timeout, a retry would
        // send it again and double the work.
        options.Retry.NetworkTimeout = TimeSpan.FromMinutes(30);
        var tables = new TableServiceClient(connection, options);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (ledgerTable, openTable, indexTable) = ("benchsled" + suffix, "benchsidx" + suffix, "benchsrix" + suffix);
        var now = DateTimeOffset.UtcNow;
        var time = TimeProvider.System;
        var ledger = new RefundLedger(tables, time, NullLogger<RefundLedger>.Instance, ledgerTable, openTable, null, requestIndexTableName: indexTable);
        var index = new RequestIndex(tables, time, ledgerTable, indexTable);
        var search = new RequestSearch(ledger, index, time);
        var export = new RequestCsvExport(search);
        Console.WriteLine($"search benchmark: {count:N0} requests over 30 days, {count / RequestsPerOrder:N0} orders; load average {LoadAverage()}");
        try
        {
            var seedClock = Stopwatch.StartNew();
            var requests = await SeedAsync(tables, ledgerTable, index, count, now);
            Console.WriteLine($"seeded in {seedClock.Elapsed.TotalSeconds:F1} s; load average {LoadAverage()}");
            var sample = requests[count / 2];
            var day = new DateTimeOffset(now.UtcDateTime.Date.AddDays(-3), TimeSpan.Zero);
            var cases = new (string Name, Func<Task<int>> Run)[]
            {
                ("by order (20 requests)", () => First(search, new RequestSearchQuery { OrderId = sample.OrderId })),
                ("by request id", () => First(search, new RequestSearchQuery { RequestId = sample.RequestId })),
                ("by refund id", () => First(search, new RequestSearchQuery { RefundId = sample.RefundIds[0] })),
                ("by charge (20 requests)", () => First(search, new RequestSearchQuery { ChargeId = sample.Charge })),
                ("status dead_lettered, page 1", () => First(search, new RequestSearchQuery { Statuses = new HashSet<string> { "DeadLettered" } })),
                ("status dead_lettered, all pages", () => All(search, new RequestSearchQuery { Statuses = new HashSet<string> { "DeadLettered" } })),
                ("amount 1000-1100 fen, page 1", () => First(search, new RequestSearchQuery { MinAmount = 1000, MaxAmount = 1100 })),
                ("amount 1000-1100 fen, all pages", () => All(search, new RequestSearchQuery { MinAmount = 1000, MaxAmount = 1100 })),
                ("one day, page 1", () => First(search, new RequestSearchQuery { Since = day, Until = day.AddDays(1) })),
                ("no filter (30 days), page 1", () => First(search, new RequestSearchQuery())),
                ("export failed, last 8 days (CSV)", async () => CsvRows(await export.ExportAsync(new RequestSearchQuery { Statuses = new HashSet<string> { "Failed" }, Since = now.AddDays(-8) }, CancellationToken.None))),
            };
            Console.WriteLine();
            Console.WriteLine($"{"search",-36} {"rows",6} {"table reqs",11} {"median ms",10} {"max ms",8}");
            foreach (var (name, run) in cases)
            {
                var times = new List<double>();
                var rows = 0;
                long requestsSent = 0;
                for (var r = 0; r < rounds; r++)
                {
                    counter.Reset();
                    var clock = Stopwatch.StartNew();
                    rows = await run();
                    times.Add(clock.Elapsed.TotalMilliseconds);
                    requestsSent = counter.Reads + counter.Writes;
                }

                times.Sort();
                Console.WriteLine($"{name,-36} {rows,6} {requestsSent,11} {times[times.Count / 2],10:F0} {times[^1],8:F0}");
            }

            Console.WriteLine($"load average {LoadAverage()}");
            return 0;
        }
        finally
        {
            foreach (var table in new[] { ledgerTable, openTable, indexTable })
            {
                await tables.DeleteTableAsync(table);
            }
        }
    }

    /// <summary>Ledger rows in one batch per order (requests + members row), lookups for every 100th request, the index in bulk.</summary>
    private static async Task<IReadOnlyList<RefundRequestRecord>> SeedAsync(TableServiceClient tables, string ledgerTable, RequestIndex index, int count, DateTimeOffset now)
    {
        var table = tables.GetTableClient(ledgerTable);
        await table.CreateIfNotExistsAsync();
        var clock = Stopwatch.StartNew();
        var random = new Random(23);
        var requests = new List<RefundRequestRecord>(count);
        for (var i = 0; i < count; i++)
        {
            var created = now.AddSeconds(-random.Next(0, 30 * 24 * 3600));
            var order = BenchIds.Order(8, i / RequestsPerOrder);
            var roll = random.Next(100);
            var state = roll < 90 ? States[0] : roll < 94 ? States[1] : roll < 97 ? States[2] : roll < 99 ? States[3] : States[4];
            var id = $"bench-{i:D6}";
            requests.Add(new RefundRequestRecord
            {
                RequestId = id,
                OrderId = order,
                Charge = "ch_" + order,
                ChargeAmount = random.Next(1, 100_000),
                Description = "退款 " + id,
                State = Enum.Parse<RefundRequestState>(state),
                Attempt = 1,
                RefundIds = ["re_" + id],
                SubmittedBy = "key:default",
                CreatedAt = created,
                UpdatedAt = created.AddMinutes(1),
            });
        }

        await Parallel.ForEachAsync(requests.GroupBy(r => r.OrderId!), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (order, ct) =>
        {
            List<TableTransactionAction> actions = [LedgerPartitionReader.MembersAction(order.Key, [.. order.Select(r => LedgerEntities.RequestRowKey(r.RequestId))])];
            actions.AddRange(order.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, LedgerEntities.FromRequest(order.Key, r))));
            await table.SubmitTransactionAsync(actions, ct);
        });
        Console.WriteLine($"  ledger rows written ({clock.Elapsed.TotalSeconds:F0} s)");
        await Parallel.ForEachAsync(requests.Where((_, i) => i % 100 == 0 || i == count / 2), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (r, ct) =>
        {
            await table.UpsertEntityAsync(new TableEntity(LedgerEntities.RequestLookupPartition(r.RequestId), LedgerEntities.LookupRow) { ["Partition"] = r.OrderId }, cancellationToken: ct);
            await table.UpsertEntityAsync(new TableEntity(LedgerEntities.RefundLookupPartition(r.RefundIds[0]), LedgerEntities.LookupRow) { ["Partition"] = r.OrderId, ["RequestId"] = r.RequestId }, cancellationToken: ct);
            await table.UpsertEntityAsync(LedgerEntities.FromRefund(r.OrderId!, new RefundRecord { RefundId = r.RefundIds[0], OrderId = r.OrderId, RequestId = r.RequestId, Amount = r.ChargeAmount ?? 0 }), cancellationToken: ct);
        });
        Console.WriteLine($"  lookups written ({clock.Elapsed.TotalSeconds:F0} s)");
        await index.SeedAsync(requests.Select(r => (r.OrderId!, r)), CancellationToken.None);
        Console.WriteLine($"  request index written ({clock.Elapsed.TotalSeconds:F0} s)");
        return requests;
    }

    private static async Task<int> First(RequestSearch search, RequestSearchQuery query)
        => (await search.SearchAsync(query, QueryParameters.DefaultPageSize, null, CancellationToken.None)).Items.Count;

    private static async Task<int> All(RequestSearch search, RequestSearchQuery query)
    {
        var rows = 0;
        string? continuation = null;
        do
        {
            var page = await search.SearchAsync(query, QueryParameters.MaxPageSize, continuation, CancellationToken.None);
            rows += page.Items.Count;
            continuation = page.Continuation;
        }
        while (continuation is not null);

        return rows;
    }

    private static int CsvRows(byte[] csv) => csv.Count(b => b == (byte)'\n') - 1;

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], CultureInfo.InvariantCulture, out var value) ? value : fallback;
    }
}
