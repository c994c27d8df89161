using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pingpp.Simulator;
using Refunds.Core.Anomalies;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Reconciliation;
using Refunds.Core.Refunds;

namespace Refunds.Benchmarks;

/// <summary>
/// Shows that a reconciliation run costs O(open + due), not O(history): one timer run's work (the open-work check,
/// then the re-checks of finished orders due now) is measured in three ledgers: 100 open orders alone; the same with
/// 100 finished orders due for a re-check; and the full picture, 100,000 finished requests (99,000 on orders outside
/// their watch window, 1,000 on watched orders of which 100 are due) plus the 100 open. Table requests, Ping++ calls
/// and wall time are printed with their ratios; exit code 0 only when the Ping++ calls are exactly due + open and the
/// full run's table requests are within 1.2 of both the open + due run (same reads) and the open-alone run. Azurite (or REFUNDS_TEST_STORAGE) and an in-process simulator.
/// </summary>
public static class ReconcileBenchmark
{
    private const int RefundsPerFinishedOrder = 50;

    public static async Task<int> RunAsync(string[] args)
    {
        var finished = Option(args, "--finished", 100_000);
        var open = Option(args, "--open", 100);
        var watched = Option(args, "--watched", 1_000);
        var due = Option(args, "--due", 100);
        var connection = Environment.GetEnvironmentVariable("REFUNDS_TEST_STORAGE") is { Length: > 0 } c ? c : "UseDevelopmentStorage=true";
        var counter = new CountingPolicy();
        var options = new TableClientOptions();
        options.AddPolicy(counter, HttpPipelinePosition.PerCall);
        var tables = new TableServiceClient(connection, options);

        await using var simulator = await Simulator.StartAsync();
        Console.WriteLine($"reconcile benchmark: {open} open orders alone; with {due} finished orders due for a re-check; "
            + $"beside {finished:N0} finished requests ({finished - watched:N0} unwatched, {watched:N0} watched of which {due} due)");

        var alone = await Scenario.CreateAsync(tables, simulator, "alone");
        var withDue = await Scenario.CreateAsync(tables, simulator, "due");
        var full = await Scenario.CreateAsync(tables, simulator, "history");
        try
        {
            var seedClock = Stopwatch.StartNew();
            await full.SeedFinishedAsync(finished - watched);
            await full.SeedWatchedAsync(watched - due, due);
            await withDue.SeedWatchedAsync(0, due);
            Console.WriteLine($"seeded {finished:N0} finished requests in {seedClock.Elapsed.TotalSeconds:F1} s");
            await alone.SeedOpenAsync(open);
            await withDue.SeedOpenAsync(open);
            await full.SeedOpenAsync(open);
            await simulator.SettleAsync();

            var a = await alone.MeasureRunAsync(counter);
            var d = await withDue.MeasureRunAsync(counter);
            var b = await full.MeasureRunAsync(counter);
            Console.WriteLine();
            Console.WriteLine($"{"run",-44} {"open",5} {"due",5} {"table reqs",11} {"(reads)",8} {"Ping++ calls",13} {"wall ms",9}");
            Print($"{open} open alone", a);
            Print($"{open} open + {due} due", d);
            Print($"{open} open + {due} due beside {finished:N0} finished", b);
            Console.WriteLine($"{"ratio full / (open + due)",-44} {"",5} {"",5} {Ratio(b.TableRequests, d.TableRequests),11} {Ratio(b.TableReads, d.TableReads),8} {Ratio(b.PingppCalls, d.PingppCalls),13} {Ratio(b.Wall.TotalMilliseconds, d.Wall.TotalMilliseconds),9}");
            Console.WriteLine($"{"ratio full / open alone",-44} {"",5} {"",5} {Ratio(b.TableRequests, a.TableRequests),11} {Ratio(b.TableReads, a.TableReads),8} {Ratio(b.PingppCalls, a.PingppCalls),13} {Ratio(b.Wall.TotalMilliseconds, a.Wall.TotalMilliseconds),9}");
            var perWork = (double)b.TableRequests / (open + due) / ((double)a.TableRequests / open);
            Console.WriteLine($"table requests per checked order, full / open alone: {perWork.ToString("F2", CultureInfo.InvariantCulture)}");
            var worked = a.Open == open && d.Open == open && b.Open == open && d.Due == due && b.Due == due;
            var exactCalls = b.PingppCalls == open + due && d.PingppCalls == open + due && a.PingppCalls == open;
            var flat = b.TableReads == d.TableReads && (double)b.TableRequests / d.TableRequests <= 1.2;
            var bounded = (double)b.TableRequests / a.TableRequests <= 1.2;
            Console.WriteLine($"Ping++ calls of the full run: {b.PingppCalls} (due + open = {due + open}): {(exactCalls ? "exact" : "NOT EXACT")}");
            Console.WriteLine($"table requests of the full run / open + due alone: {(flat ? "flat (≤ 1.2, same reads)" : "NOT FLAT")}; "
                + $"/ open alone: {Ratio(b.TableRequests, a.TableRequests)} ({(bounded ? "≤ 1.2" : "NOT ≤ 1.2")})");
            return worked && exactCalls && flat && bounded ? 0 : 1;
        }
        finally
        {
            await alone.DeleteAsync();
            await withDue.DeleteAsync();
            await full.DeleteAsync();
        }
    }

    private static void Print(string name, Measured m) => Console.WriteLine(
        $"{name,-44} {m.Open,5} {m.Due,5} {m.TableRequests,11} {m.TableReads,8} {m.PingppCalls,13} {m.Wall.TotalMilliseconds,9:F0}");

    private static string Ratio(double x, double y) => y == 0 ? "n/a" : (x / y).ToString("F2", CultureInfo.InvariantCulture);

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], CultureInfo.InvariantCulture, out var value) ? value : fallback;
    }

    /// <summary>One timer run's work: open orders updated (their refunds settled), due orders re-checked, and what it cost.</summary>
    private sealed record Measured(int Open, int Due, int PingppCalls, long TableRequests, long TableReads, TimeSpan Wall);

    /// <summary>One ledger (its own tables) with its own reconciler.</summary>
    private sealed class Scenario
    {
        private readonly TableServiceClient _tables;
        private readonly Simulator _simulator;
        private readonly string _suffix;
        private readonly RefundLedger _ledger;
        private readonly Reconciler _reconciler;
        private readonly OrderWatchIndex _watch;
        private readonly OrderWatchRechecks _rechecks;
        private readonly QueueClient _queue;

        private Scenario(TableServiceClient tables, Simulator simulator, string suffix)
        {
            _tables = tables;
            _simulator = simulator;
            _suffix = suffix;
            var time = TimeProvider.System;
            var watchOptions = new OrderWatchOptions();
            _watch = new OrderWatchIndex(tables, watchOptions.Schedule(), time, "benchidx" + suffix, "benchled" + suffix);
            _ledger = new RefundLedger(tables, time, NullLogger<RefundLedger>.Instance, "benchled" + suffix, "benchidx" + suffix, watch: _watch);
            _queue = new QueueClient(Environment.GetEnvironmentVariable("REFUNDS_TEST_STORAGE") is { Length: > 0 } c ? c : "UseDevelopmentStorage=true", "bench-" + suffix);
            var queue = new RefundRequestQueue(new QueueServiceClient(Environment.GetEnvironmentVariable("REFUNDS_TEST_STORAGE") is { Length: > 0 } c2 ? c2 : "UseDevelopmentStorage=true"), "bench-" + suffix);
            var state = new ReconcileStateStore(tables, "benchidx" + suffix);
            var reconciliation = Options.Create(new ReconciliationOptions());
            var metrics = new ReconciliationMetrics();
            var anomalies = new AnomalyResolver(new AnomalyStore(tables, time, "benchano" + suffix), _ledger, queue, state,
                Options.Create(new AnomalyOptions()), reconciliation, metrics, time, NullLogger<AnomalyResolver>.Instance);
            var discrepancies = new DiscrepancyStore(tables, time, "benchdis" + suffix);
            _reconciler = new Reconciler(_ledger, simulator.Client, queue, discrepancies, state, anomalies,
                reconciliation, metrics, time, NullLogger<Reconciler>.Instance);
            _rechecks = new OrderWatchRechecks(_ledger, simulator.Client, _watch, discrepancies, Options.Create(watchOptions), reconciliation, metrics, time,
                NullLogger<OrderWatchRechecks>.Instance);
        }

        private string LedgerTable => "benchled" + _suffix;

        public static async Task<Scenario> CreateAsync(TableServiceClient tables, Simulator simulator, string name)
        {
            var scenario = new Scenario(tables, simulator, name + RandomNumberGenerator.GetHexString(8, lowercase: true));
            await tables.CreateTableIfNotExistsAsync(scenario.LedgerTable);
            return scenario;
        }

        /// <summary>Closed requests with succeeded refunds on orders outside their watch window (no watch rows), 50 per order.</summary>
        public async Task SeedFinishedAsync(int refunds)
        {
            var table = _tables.GetTableClient(LedgerTable);
            var orders = (refunds + RefundsPerFinishedOrder - 1) / RefundsPerFinishedOrder;
            await Parallel.ForEachAsync(Enumerable.Range(0, orders), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (o, ct) =>
            {
                var orderId = BenchIds.Order(9, o);
                var count = Math.Min(RefundsPerFinishedOrder, refunds - o * RefundsPerFinishedOrder);
                await WriteFinishedOrderAsync(table, orderId, [.. Enumerable.Range(0, count).Select(i => ($"hist-{orderId}-{i}", $"re_hist{o:D8}{i:D4}"))], ct);
            });
        }

        /// <summary>
        /// Finished orders in their watch window, one succeeded request each: <paramref name="notDue"/> entered the watch
        /// just now (first re-check in 10 minutes), <paramref name="due"/> an hour ago (due now; these exist at the
        /// simulator with the refund the ledger holds, so their re-check finds nothing to change).
        /// </summary>
        public async Task SeedWatchedAsync(int notDue, int due)
        {
            var table = _tables.GetTableClient(LedgerTable);
            var hourAgo = new OrderWatchIndex(_tables, _watch.Schedule, new ShiftedTime(TimeSpan.FromHours(-1)), "benchidx" + _suffix, LedgerTable);
            await Parallel.ForEachAsync(Enumerable.Range(0, notDue + due), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (o, ct) =>
            {
                var requestId = $"watched-{_suffix}-{o}";
                string orderId;
                string refundId;
                if (o < due)
                {
                    orderId = await _simulator.SeedOrderAsync(1000, ct);
                    var request = new RefundRequest { RequestId = requestId, OrderId = orderId, Description = "watched" };
                    refundId = (await _simulator.Client.CreateOrderRefundAsync(orderId, request.ToCreateOrderRefundRequest(), ct)).Data[0].Id;
                    await _simulator.SettleAsync();
                }
                else
                {
                    orderId = BenchIds.Order(8, o);
                    refundId = $"re_watch{o:D8}";
                }

                await WriteFinishedOrderAsync(table, orderId, [(requestId, refundId)], ct);
                await (o < due ? hourAgo : _watch).EnterAsync(orderId, ct);
            });
        }

        /// <summary>Succeeded requests with their succeeded refunds written straight into the order's partition in batches of 100, with its members row (upserts: an SDK retry of a batch whose answer was lost must not fail the seeding).</summary>
        private static async Task WriteFinishedOrderAsync(TableClient table, string orderId, IReadOnlyList<(string RequestId, string RefundId)> requests, CancellationToken ct)
        {
            var at = DateTimeOffset.UtcNow.AddDays(-30);
            var actions = new List<TableTransactionAction>();
            var members = new TableEntity(orderId, LedgerEntities.MembersRow);
            foreach (var (requestId, refundId) in requests)
            {
                actions.Add(new(TableTransactionActionType.UpsertReplace, LedgerEntities.FromRequest(orderId, new RefundRequestRecord
                {
                    RequestId = requestId, OrderId = orderId, Description = "history", State = RefundRequestState.Succeeded,
                    Attempt = 1, RefundIds = [refundId], CreatedAt = at, UpdatedAt = at,
                })));
                actions.Add(new(TableTransactionActionType.UpsertReplace, LedgerEntities.FromRefund(orderId, new RefundRecord
                {
                    RefundId = refundId, OrderId = orderId, RequestId = requestId, Amount = 1000, Status = PingppRefundStatus.Succeeded,
                    TimeSucceed = at, FirstSeenAt = at, UpdatedAt = at,
                })));
                if (actions.Count == 100)
                {
                    await table.SubmitTransactionAsync(actions, ct);
                    actions = [];
                }

                // The members row the ledger keeps for every order it has written to.
                foreach (var key in new[] { LedgerEntities.RequestRowKey(requestId), LedgerEntities.RefundRowKey(refundId) })
                {
                    members[LedgerEntities.MemberProperty(key)] = key;
                }
            }

            if (actions.Count > 0)
            {
                await table.SubmitTransactionAsync(actions, ct);
            }

            await table.UpsertEntityAsync(members, TableUpdateMode.Merge, ct);
        }

        /// <summary>Open refunds through the normal path: a paid order at the simulator, a request, a create, "submitted"; all pending.</summary>
        public async Task SeedOpenAsync(int count)
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            {
                var orderId = await _simulator.SeedOrderAsync(1000, ct);
                var requestId = $"open-{_suffix}-{i}";
                var request = new RefundRequest { RequestId = requestId, OrderId = orderId, Description = "open" };
                await _ledger.CreateRequestAsync(new RefundRequestRecord { RequestId = requestId, OrderId = orderId, Description = "open" }, ct);
                await _ledger.TryBeginSubmitAsync(requestId, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1), ct);
                var created = await _simulator.Client.CreateOrderRefundAsync(orderId, request.ToCreateOrderRefundRequest(), ct);
                await _ledger.RecordSubmittedAsync(requestId, created.Data, ct);
            });
        }

        /// <summary>One timer run's work, as ReconcileTimerFunction does it: the open-work check, then the due re-checks.</summary>
        public async Task<Measured> MeasureRunAsync(CountingPolicy counter)
        {
            counter.Reset();
            var clock = Stopwatch.StartNew();
            var open = await _reconciler.RunAsync(CancellationToken.None);
            var due = await _rechecks.RunAsync(CancellationToken.None);
            clock.Stop();
            return new Measured(open.RefundsUpdated, due.Rechecked, open.PingppCalls + due.PingppCalls, counter.Reads + counter.Writes, counter.Reads, clock.Elapsed);
        }

        public async Task DeleteAsync()
        {
            foreach (var name in new[] { "benchled", "benchidx", "benchano", "benchdis" })
            {
                await _tables.DeleteTableAsync(name + _suffix);
            }

            await _queue.DeleteIfExistsAsync();
        }
    }

    /// <summary>The system clock shifted by a fixed offset (to enter orders in the watch as if some time ago).</summary>
    private sealed class ShiftedTime(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
    }

    /// <summary>The Ping++ simulator in-process on 127.0.0.1 and a production-wired client for it.</summary>
    private sealed class Simulator : IAsyncDisposable
    {
        private readonly Microsoft.AspNetCore.Builder.WebApplication _app;
        private readonly HttpClient _admin;
        private readonly ServiceProvider _clientServices;

        private Simulator(Microsoft.AspNetCore.Builder.WebApplication app, HttpClient admin, ServiceProvider clientServices)
        {
            _app = app;
            _admin = admin;
            _clientServices = clientServices;
            Client = clientServices.GetRequiredService<PingppClient>();
        }

        public PingppClient Client { get; }

        public static async Task<Simulator> StartAsync()
        {
            var apiKey = "sk_test_" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 24);
            using var key = RSA.Create(2048);
            var app = SimulatorApp.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"], o =>
            {
                o.ApiKey = apiKey;
                o.MerchantPublicKey = key.ExportSubjectPublicKeyInfoPem();
                o.SettleDelay = TimeSpan.FromHours(1);
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Pingpp:ApiBase"] = address,
                ["Pingpp:ApiKey"] = apiKey,
                ["Pingpp:SigningPrivateKey"] = key.ExportRSAPrivateKeyPem(),
            }).Build();
            var services = new ServiceCollection();
            services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
            services.AddPingppClient(configuration);
            return new Simulator(app, new HttpClient { BaseAddress = new Uri(address.TrimEnd('/') + "/") }, services.BuildServiceProvider());
        }

        public async Task<string> SeedOrderAsync(long amount, CancellationToken ct)
        {
            using var response = await _admin.PostAsJsonAsync("_sim/orders", new { amount }, ct);
            response.EnsureSuccessStatusCode();
            var order = await response.Content.ReadFromJsonAsync<PingppOrder>(PingppJson.Options, ct);
            return order!.Id;
        }

        public async Task SettleAsync()
        {
            using var response = await _admin.PostAsync("_sim/settle", null);
            response.EnsureSuccessStatusCode();
        }

        public async ValueTask DisposeAsync()
        {
            await _clientServices.DisposeAsync();
            _admin.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
