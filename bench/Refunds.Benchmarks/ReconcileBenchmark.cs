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
/// Shows that a reconciliation run costs O(open), not O(history): the same 100 open refunds are reconciled once in an
/// otherwise empty ledger and once beside 100,000 finished refunds, and the table requests, Ping++ calls and wall time
/// of the two runs are printed with their ratios. Azurite (or REFUNDS_TEST_STORAGE) and an in-process simulator.
/// </summary>
public static class ReconcileBenchmark
{
    private const int RefundsPerFinishedOrder = 50;

    public static async Task<int> RunAsync(string[] args)
    {
        var finished = Option(args, "--finished", 100_000);
        var open = Option(args, "--open", 100);
        var connection = Environment.GetEnvironmentVariable("REFUNDS_TEST_STORAGE") is { Length: > 0 } c ? c : "UseDevelopmentStorage=true";
        var counter = new CountingPolicy();
        var options = new TableClientOptions();
        options.AddPolicy(counter, HttpPipelinePosition.PerCall);
        var tables = new TableServiceClient(connection, options);

        await using var simulator = await Simulator.StartAsync();
        Console.WriteLine($"reconcile benchmark: {open} open refunds, alone and beside {finished:N0} finished refunds");

        var alone = await Scenario.CreateAsync(tables, simulator, "alone");
        var beside = await Scenario.CreateAsync(tables, simulator, "history");
        try
        {
            var seedClock = Stopwatch.StartNew();
            await beside.SeedFinishedAsync(finished);
            Console.WriteLine($"seeded {finished:N0} finished refunds ({finished:N0} closed requests) in {seedClock.Elapsed.TotalSeconds:F1} s");
            await alone.SeedOpenAsync(open);
            await beside.SeedOpenAsync(open);
            await simulator.SettleAsync();

            var a = await alone.MeasureRunAsync(counter);
            var b = await beside.MeasureRunAsync(counter);
            Console.WriteLine();
            Console.WriteLine($"{"run",-34} {"orders",7} {"updated",8} {"table reqs",11} {"(reads)",8} {"Ping++ calls",13} {"wall ms",9}");
            Print($"{open} open alone", a);
            Print($"{open} open + {finished:N0} finished", b);
            Console.WriteLine($"{"ratio (history / alone)",-34} {"",7} {"",8} {Ratio(b.TableRequests, a.TableRequests),11} {Ratio(b.TableReads, a.TableReads),8} {Ratio(b.Summary.PingppCalls, a.Summary.PingppCalls),13} {Ratio(b.Wall.TotalMilliseconds, a.Wall.TotalMilliseconds),9}");
            var flat = a.Summary.RefundsUpdated == open && b.Summary.RefundsUpdated == open && b.TableReads == a.TableReads && b.Summary.PingppCalls == a.Summary.PingppCalls;
            Console.WriteLine(flat ? "flat: both runs did the same reads and Ping++ calls" : "NOT FLAT: see the figures above");
            return flat ? 0 : 1;
        }
        finally
        {
            await alone.DeleteAsync();
            await beside.DeleteAsync();
        }
    }

    private static void Print(string name, Measured m) => Console.WriteLine(
        $"{name,-34} {m.Summary.OrdersChecked,7} {m.Summary.RefundsUpdated,8} {m.TableRequests,11} {m.TableReads,8} {m.Summary.PingppCalls,13} {m.Wall.TotalMilliseconds,9:F0}");

    private static string Ratio(double x, double y) => y == 0 ? "n/a" : (x / y).ToString("F2", CultureInfo.InvariantCulture);

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], CultureInfo.InvariantCulture, out var value) ? value : fallback;
    }

    private sealed record Measured(ReconciliationSummary Summary, long TableRequests, long TableReads, TimeSpan Wall);

    /// <summary>One ledger (its own tables) with its own reconciler.</summary>
    private sealed class Scenario
    {
        private readonly TableServiceClient _tables;
        private readonly Simulator _simulator;
        private readonly string _suffix;
        private readonly RefundLedger _ledger;
        private readonly Reconciler _reconciler;
        private readonly QueueClient _queue;

        private Scenario(TableServiceClient tables, Simulator simulator, string suffix)
        {
            _tables = tables;
            _simulator = simulator;
            _suffix = suffix;
            var time = TimeProvider.System;
            _ledger = new RefundLedger(tables, time, NullLogger<RefundLedger>.Instance, "benchled" + suffix, "benchidx" + suffix);
            _queue = new QueueClient(Environment.GetEnvironmentVariable("REFUNDS_TEST_STORAGE") is { Length: > 0 } c ? c : "UseDevelopmentStorage=true", "bench-" + suffix);
            var queue = new RefundRequestQueue(new QueueServiceClient(Environment.GetEnvironmentVariable("REFUNDS_TEST_STORAGE") is { Length: > 0 } c2 ? c2 : "UseDevelopmentStorage=true"), "bench-" + suffix);
            var state = new ReconcileStateStore(tables, "benchidx" + suffix);
            var reconciliation = Options.Create(new ReconciliationOptions());
            var metrics = new ReconciliationMetrics();
            var anomalies = new AnomalyResolver(new AnomalyStore(tables, time, "benchano" + suffix), _ledger, queue, state,
                Options.Create(new AnomalyOptions()), reconciliation, metrics, time, NullLogger<AnomalyResolver>.Instance);
            _reconciler = new Reconciler(_ledger, simulator.Client, queue, new DiscrepancyStore(tables, time, "benchdis" + suffix), state, anomalies,
                reconciliation, metrics, time, NullLogger<Reconciler>.Instance);
        }

        private string LedgerTable => "benchled" + _suffix;

        public static async Task<Scenario> CreateAsync(TableServiceClient tables, Simulator simulator, string name)
        {
            var scenario = new Scenario(tables, simulator, name + RandomNumberGenerator.GetHexString(8, lowercase: true));
            await tables.CreateTableIfNotExistsAsync(scenario.LedgerTable);
            return scenario;
        }

        /// <summary>Closed requests with succeeded refunds, written straight into the ledger table in batches of 100 (one partition per order, with its members row).</summary>
        public async Task SeedFinishedAsync(int refunds)
        {
            var table = _tables.GetTableClient(LedgerTable);
            var orders = (refunds + RefundsPerFinishedOrder - 1) / RefundsPerFinishedOrder;
            var at = DateTimeOffset.UtcNow.AddDays(-30);
            await Parallel.ForEachAsync(Enumerable.Range(0, orders), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (o, ct) =>
            {
                var orderId = "9" + o.ToString("D18", CultureInfo.InvariantCulture);
                var actions = new List<TableTransactionAction>();
                for (var i = 0; i < RefundsPerFinishedOrder && o * RefundsPerFinishedOrder + i < refunds; i++)
                {
                    var requestId = $"hist-{orderId}-{i}";
                    var refundId = $"re_hist{o:D8}{i:D4}";
                    actions.Add(new(TableTransactionActionType.Add, LedgerEntities.FromRequest(orderId, new RefundRequestRecord
                    {
                        RequestId = requestId, OrderId = orderId, Description = "history", State = RefundRequestState.Succeeded,
                        Attempt = 1, RefundIds = [refundId], CreatedAt = at, UpdatedAt = at,
                    })));
                    actions.Add(new(TableTransactionActionType.Add, LedgerEntities.FromRefund(orderId, new RefundRecord
                    {
                        RefundId = refundId, OrderId = orderId, RequestId = requestId, Amount = 100, Status = PingppRefundStatus.Succeeded,
                        TimeSucceed = at, FirstSeenAt = at, UpdatedAt = at,
                    })));
                    if (actions.Count == 100)
                    {
                        await table.SubmitTransactionAsync(actions, ct);
                        actions = [];
                    }
                }

                if (actions.Count > 0)
                {
                    await table.SubmitTransactionAsync(actions, ct);
                }

                // The members row the ledger keeps for every order it has written to.
                var members = new TableEntity(orderId, LedgerEntities.MembersRow);
                for (var i = 0; i < RefundsPerFinishedOrder && o * RefundsPerFinishedOrder + i < refunds; i++)
                {
                    foreach (var key in new[] { LedgerEntities.RequestRowKey($"hist-{orderId}-{i}"), LedgerEntities.RefundRowKey($"re_hist{o:D8}{i:D4}") })
                    {
                        members[LedgerEntities.MemberProperty(key)] = key;
                    }
                }

                await table.UpsertEntityAsync(members, TableUpdateMode.Merge, ct);
            });
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

        public async Task<Measured> MeasureRunAsync(CountingPolicy counter)
        {
            counter.Reset();
            var clock = Stopwatch.StartNew();
            var summary = await _reconciler.RunAsync(CancellationToken.None);
            clock.Stop();
            return new Measured(summary, counter.Reads + counter.Writes, counter.Reads, clock.Elapsed);
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
