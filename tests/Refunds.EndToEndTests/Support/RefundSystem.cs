using System.Net;
using System.Net.Sockets;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Pingpp.Simulator;
using Refunds.Core.Anomalies;
using Refunds.Core.Ledger;
using Refunds.Core.Reconciliation;
using Refunds.Core.Refunds;
using Refunds.Core.Webhooks;
using Refunds.DevHost;
using Refunds.DevHost.Keys;
using Refunds.DevHost.Timers;
using Refunds.IntegrationTests.Support;

namespace Refunds.EndToEndTests.Support;

/// <summary>Knobs of a <see cref="RefundSystem"/>; the defaults are test-sized with the protocol's proportions.</summary>
public sealed record RefundSystemOptions
{
    /// <summary>Storage of the app (queue + tables): the shared Azurite unless an outage test brings its own.</summary>
    public required string StorageConnectionString { get; init; }

    /// <summary>host.json <c>batchSize</c> / <c>newBatchThreshold</c> (the repository's: 16 / 8).</summary>
    public int BatchSize { get; init; } = 16;

    public int NewBatchThreshold { get; init; } = 8;

    public int MaxDequeueCount { get; init; } = 5;

    /// <summary>Ping++ request timeout; the grace period and the lease are checked against it on start, as in production.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a failed message stays invisible before its retry (host.json: 1 min). Longer than the grace period,
    /// so a retry after an unknown outcome may create at once instead of spending an attempt waiting: with 5 attempts
    /// only five faults in a row dead-letter a request (at the faults test's 10 % 5xx: ~1e-5 per request).
    /// </summary>
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>How long a refund stays pending at the simulator; null = only when settled by hand.</summary>
    public TimeSpan? SettleDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan ApiLatency { get; init; } = TimeSpan.Zero;

    /// <summary>Serve the webhook function too and point the simulator's webhooks at it.</summary>
    public bool Webhooks { get; init; } = true;

    /// <summary>Extra registrations after the harness's own (a benchmark: a storage client that counts requests).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>Extra settings of the function app (e.g. SDK retry knobs).</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>How many local hosts serve the app: one storage account, one queue, one host id, as Azure scales out.</summary>
    public int Instances { get; init; } = 1;

    /// <summary>Serve the reconciliation timer on this NCRONTAB schedule (six fields); null = not served (the test runs the reconciler itself).</summary>
    public string? ReconcileSchedule { get; init; }
}

/// <summary>
/// The whole system on loopback: local hosts (one by default) serving the refund processor (the real queue listener
/// with host.json semantics), the refund HTTP API with function keys enforced, and the webhook function; an
/// in-process Ping++ simulator whose webhooks go to the first host; and one storage account (Azurite) holding the
/// queue, every table and the hosts' timer locks. Every queue and table name and the host id are unique to the
/// system (the shared Azurite serves other people's tests too), and the app's <see cref="Reconciler"/> runs on
/// those same tables.
/// </summary>
public sealed class RefundSystem : IAsyncDisposable
{
    private readonly List<WebApplication?> _apps;
    private readonly string[] _tables;
    private readonly string _secrets;

    private RefundSystem(List<WebApplication?> apps, SimulatorServer simulator, string queueName, string[] tables, string connectionString, string secrets)
    {
        _apps = apps;
        _tables = tables;
        _secrets = secrets;
        Simulator = simulator;
        var queues = new QueueServiceClient(connectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        Queue = queues.GetQueueClient(queueName);
        Poison = queues.GetQueueClient(queueName + "-poison");
        RequestQueue = new RefundRequestQueue(queues, queueName);
        Ledger = apps[0]!.Services.GetRequiredService<IRefundLedger>();
        Storage = new TableServiceClient(connectionString);
        Keys = apps[0]!.Services.GetRequiredService<FunctionKeys>();
        Urls = [.. apps.Select(a => new Uri(a!.Urls.Single()))];
        Client = CreateClient(0, Keys.HostKeys[SecretsFolder.DefaultKeyName]);
    }

    /// <summary>The host the system runs on, for the test output.</summary>
    public const string HostName = "local host (src/Refunds.DevHost), function keys enforced";

    /// <summary>The keys every instance enforces (one secrets folder, as instances of one app share their keys).</summary>
    public FunctionKeys Keys { get; }

    /// <summary>Each instance's base address.</summary>
    public IReadOnlyList<Uri> Urls { get; }

    /// <summary>The first instance, presenting the host's default key.</summary>
    public HttpClient Client { get; }

    /// <summary>The services of instance <paramref name="instance"/> (e.g. its <see cref="ServedFunctions"/>).</summary>
    public IServiceProvider Services(int instance) => _apps[instance]?.Services ?? throw new InvalidOperationException($"instance {instance} was stopped");

    /// <summary>A client on instance <paramref name="instance"/> presenting <paramref name="key"/> in <c>x-functions-key</c> (null = none).</summary>
    public HttpClient CreateClient(int instance, string? key)
    {
        var client = new HttpClient { BaseAddress = Urls[instance], Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add(FunctionKeys.Header, key);
        }

        return client;
    }

    /// <summary>Stops one instance gracefully (its queue messages in flight finish, its timer lock is released).</summary>
    public async Task StopInstanceAsync(int instance)
    {
        if (_apps[instance] is { } app)
        {
            _apps[instance] = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public SimulatorServer Simulator { get; }

    public SimulatorAdmin Sim => Simulator.Admin;

    public QueueClient Queue { get; }

    public QueueClient Poison { get; }

    public RefundRequestQueue RequestQueue { get; }

    /// <summary>The app's ledger (its own unique tables).</summary>
    public IRefundLedger Ledger { get; }

    public TableServiceClient Storage { get; }

    /// <summary>The app's reconciler (of the first instance still running), as the timer function would call it.</summary>
    public Reconciler Reconciler => _apps.First(a => a is not null)!.Services.GetRequiredService<Reconciler>();

    public static async Task<RefundSystem> StartAsync(RefundSystemOptions options, Action<SimulatorOptions>? configureSimulator = null)
    {
        var suffix = Guid.NewGuid().ToString("N")[..16];
        var queueName = "e2e-refunds-" + suffix;
        string ledgerTable = "e2eled" + suffix, indexTable = "e2eidx" + suffix, eventsTable = "e2eevt" + suffix,
            discrepancyTable = "e2edis" + suffix, anomalyTable = "e2eano" + suffix;
        var port = FreePort();
        var hostUrl = $"http://127.0.0.1:{port}";
        var simulator = await SimulatorServer.StartAsync(
            options.Webhooks ? hostUrl + "/api/pingpp/webhooks" : null,
            options.SettleDelay,
            o =>
            {
                o.ApiLatency = options.ApiLatency;
                configureSimulator?.Invoke(o);
            });
        var secrets = Path.Combine(Path.GetTempPath(), "refunds-e2e-secrets-" + suffix);
        var hostId = "e2e-" + suffix;
        var apps = new List<WebApplication?>();
        try
        {
            var functions = new List<string>
            {
                "ProcessRefundRequest", "RefundRequestPoison", "Health", "SubmitRefund", "ListOrderRefunds", "GetOrderRefund",
                "RequeueRefundRequest", "RequeueDeadLetteredRefundRequests",
            };
            if (options.Webhooks)
            {
                functions.Add("PingppWebhook");
            }

            if (options.ReconcileSchedule is not null)
            {
                functions.Add("Reconcile");
            }

            var host = new DevHostOptions
            {
                UseLocalSettingsFile = false,
                Functions = functions,
                SecretsPath = secrets,
                Singleton = new SingletonHostOptions { ListenerLockPeriod = TimeSpan.FromSeconds(15), ListenerLockRecoveryPollingInterval = TimeSpan.FromSeconds(1) },
                // The test's host.json: the repository's batch settings, test-sized timings.
                Queues = new QueueHostOptions
                {
                    BatchSize = options.BatchSize,
                    NewBatchThreshold = options.NewBatchThreshold,
                    MaxDequeueCount = options.MaxDequeueCount,
                    VisibilityTimeout = options.VisibilityTimeout,
                    MaxPollingInterval = TimeSpan.FromMilliseconds(200),
                    MessageEncoding = QueueMessageEncoding.None,
                    // How long a received message stays invisible when the listener cannot hand it back (storage
                    // down as it fails: its visibility update fails too). Test-sized, above any one invocation.
                    MessageLease = TimeSpan.FromSeconds(20),
                },
                ConfigureServices = services =>
                {
                    services.Replace(ServiceDescriptor.Singleton<IRefundLedger>(sp => new RefundLedger(
                        sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<TimeProvider>(),
                        sp.GetRequiredService<ILogger<RefundLedger>>(), ledgerTable, indexTable)));
                    services.Replace(ServiceDescriptor.Singleton(sp => new WebhookEventStore(sp.GetRequiredService<TableServiceClient>(), eventsTable)));
                    services.Replace(ServiceDescriptor.Singleton(sp => new DiscrepancyStore(
                        sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<TimeProvider>(), discrepancyTable)));
                    services.Replace(ServiceDescriptor.Singleton(sp => new ReconcileStateStore(sp.GetRequiredService<TableServiceClient>(), indexTable)));
                    services.Replace(ServiceDescriptor.Singleton(sp => new AnomalyStore(
                        sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<TimeProvider>(), anomalyTable)));
                    options.ConfigureServices?.Invoke(services);
                },
            };
            foreach (var (key, value) in simulator.ClientSettings)
            {
                host.Settings[key] = value;
            }

            host.Settings["AzureWebJobsStorage"] = options.StorageConnectionString;
            host.Settings["Pingpp:WebhookPublicKeys:0"] = simulator.Admin.PingppPublicKeyPem;
            host.Settings["Logging:LogLevel:Default"] = Environment.GetEnvironmentVariable("REFUNDS_TEST_LOGLEVEL") ?? "Warning";
            host.Settings["RefundRequestsQueue"] = queueName;
            host.Settings["Pingpp:RequestTimeout"] = options.RequestTimeout.ToString();
            host.Settings["Pingpp:MaxReadRetries"] = "1";
            host.Settings["Refunds:CreateGracePeriod"] = options.GracePeriod.ToString();
            host.Settings["Refunds:LeaseDuration"] = options.LeaseDuration.ToString();
            host.Settings["Pingpp:SignTimeout"] = (options.LeaseDuration - (options.RequestTimeout * 3)).ToString();
            host.Settings["Reconciliation:MaxOrdersPerRun"] = "10000";
            host.Settings["Reconciliation:MaxConcurrency"] = "16";
            host.Settings["ReconcileSchedule"] = options.ReconcileSchedule ?? "0 0 3 1 1 *";
            host.Settings[HostStorage.HostIdSetting] = hostId;
            foreach (var (key, value) in options.Settings)
            {
                host.Settings[key] = value;
            }

            for (var instance = 0; instance < options.Instances; instance++)
            {
                // The first instance takes the port the simulator's webhooks go to; the others any free port.
                var app = DevHostApplication.Build(["--urls", instance == 0 ? hostUrl : "http://127.0.0.1:0"], host);
                apps.Add(app);
                await app.StartAsync();
                var served = app.Services.GetRequiredService<ServedFunctions>().All;
                try
                {
                    await Task.WhenAll(served.Select(f => f.Ready)).WaitAsync(TimeSpan.FromSeconds(60));
                }
                catch (TimeoutException)
                {
                    throw new TimeoutException("functions not ready after 60 s: " + string.Join(", ", served.Where(f => !f.Ready.IsCompleted).Select(f => f.Name)));
                }
            }

            return new RefundSystem(apps, simulator, queueName, [ledgerTable, indexTable, eventsTable, discrepancyTable, anomalyTable], options.StorageConnectionString, secrets);
        }
        catch
        {
            foreach (var app in apps)
            {
                await app!.DisposeAsync();
            }

            await simulator.DisposeAsync();
            DeleteSecrets(secrets);
            throw;
        }
    }

    private static void DeleteSecrets(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A request for the whole of a freshly seeded order (one charge).</summary>
    public async Task<RefundRequest> SeededRequestAsync(string requestId, long amount)
    {
        var order = await Sim.SeedOrderAsync(amount);
        return new RefundRequest
        {
            RequestId = requestId,
            OrderId = order.Id,
            Description = "退款 " + requestId,
            Charge = order.ChargeIds[0],
            ChargeAmount = amount,
        };
    }

    /// <summary>
    /// Polls the ledger until every request satisfies <paramref name="done"/>; fails after <paramref name="timeout"/>
    /// naming the requests still short of it.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, RefundRequestRecord>> WaitForAllAsync(
        IReadOnlyCollection<string> requestIds, Func<RefundRequestRecord, bool> done, TimeSpan timeout, int concurrency = 16)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var records = new System.Collections.Concurrent.ConcurrentDictionary<string, RefundRequestRecord?>();
        var pending = requestIds.ToList();
        while (true)
        {
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (id, ct) =>
            {
                try
                {
                    records[id] = await Ledger.GetRequestAsync(id, ct);
                }
                catch (Azure.RequestFailedException)
                {
                    // Storage down (an outage test): the request is simply not known to be done yet.
                }
            });
            pending = [.. pending.Where(id => records.GetValueOrDefault(id) is not { } r || !done(r))];
            if (pending.Count == 0)
            {
                return records.ToDictionary(r => r.Key, r => r.Value!);
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                var sample = string.Join("; ", pending.Take(5).Select(id => records.GetValueOrDefault(id) is { } r
                    ? $"{id}: {r.State} (attempt {r.Attempt}, {r.LastError})"
                    : $"{id}: not in the ledger"));
                throw new TimeoutException($"{pending.Count} of {requestIds.Count} requests not there after {timeout}: {sample}");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>Waits until neither the queue nor its poison queue holds a message (visible or not).</summary>
    public async Task WaitForQueuesDrainedAsync(TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (await CountAsync(Queue) == 0 && await CountAsync(Poison) == 0)
            {
                return;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"Queues not drained after {timeout}: {await CountAsync(Queue)} in {Queue.Name}, {await CountAsync(Poison)} in poison.");
    }

    /// <summary>Waits until the simulator has no webhook still to deliver (each delivered, dropped or given up).</summary>
    public async Task WaitForWebhooksSentAsync(TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var open = (await Sim.GetEventsAsync()).Count(e => e.DeliveryState is "pending" or "held");
            if (open == 0)
            {
                return;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"{open} webhooks still to deliver after {timeout}");
            }

            await Task.Delay(250);
        }
    }

    public static async Task<int> CountAsync(QueueClient queue)
        => await queue.ExistsAsync() ? (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount : 0;

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        for (var instance = 0; instance < _apps.Count; instance++)
        {
            await StopInstanceAsync(instance);
        }

        await Simulator.DisposeAsync();
        DeleteSecrets(_secrets);
        try
        {
            await Queue.DeleteIfExistsAsync();
            await Poison.DeleteIfExistsAsync();
            foreach (var table in _tables)
            {
                await Storage.DeleteTableAsync(table);
            }
        }
        catch (Azure.RequestFailedException)
        {
            // Cleanup only.
        }
    }

    /// <summary>A port the OS hands out for port 0, for the dev host: the simulator must know the webhook URL before the app starts.</summary>
    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
