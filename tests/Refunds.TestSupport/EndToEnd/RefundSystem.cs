using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pingpp.Simulator;
using Refunds.Core.Configuration;
using Refunds.Core.Ledger;
using Refunds.Core.Reconciliation;
using Refunds.Core.Refunds;
using Refunds.DevHost;
using Refunds.DevHost.Keys;
using Refunds.DevHost.Timers;
using Refunds.Functions.Hosting;
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

    /// <summary>
    /// With <see cref="Webhooks"/>: whether the simulator sends any (false: webhooks switched off at "Ping++", the
    /// function still served for deliveries the test makes itself).
    /// </summary>
    public bool SimulatorSendsWebhooks { get; init; } = true;

    /// <summary>Extra registrations after the harness's own (a benchmark: a storage client that counts requests).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>Extra settings of the function app (e.g. SDK retry knobs).</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>How many local hosts serve the app: one storage account, one queue, one host id, as Azure scales out.</summary>
    public int Instances { get; init; } = 1;

    /// <summary>Serve every function of the app (the operator console and all its routes), not only the refund path's.</summary>
    public bool AllFunctions { get; init; }

    /// <summary>Serve the reconciliation timer on this NCRONTAB schedule (six fields); null = not served (the test runs the reconciler itself).</summary>
    public string? ReconcileSchedule { get; init; }
}

/// <summary>
/// The whole system on loopback: instances of the function app (one by default) on the host the run picked
/// (<see cref="EndToEndHost"/>: the local host in-process, or Core Tools' <c>func start</c>) serving the refund
/// processor (the queue listener with host.json semantics), the refund HTTP API with function keys enforced, and the
/// webhook function; an in-process Ping++ simulator whose webhooks go to the first instance; and one storage account
/// (Azurite) holding the queue, every table and the hosts' timer locks. Every queue and table name and the host id
/// are unique to the system (the shared Azurite serves other people's tests too) and reach the app as settings only
/// (<c>RefundRequestsQueue</c>, <c>Storage__*Table</c>), the same way on both hosts.
/// </summary>
public sealed class RefundSystem : IAsyncDisposable
{
    private readonly List<IAppInstance?> _apps;
    private readonly List<Func<Task<IAppInstance>>> _starters;
    private readonly string[] _tables;
    private readonly string _secrets;
    private readonly string? _appFolder;
    private readonly ServiceProvider? _clientServices;

    private RefundSystem(
        EndToEndHost host, List<IAppInstance?> apps, List<Func<Task<IAppInstance>>> starters, SimulatorServer simulator, string queueName, StorageTableOptions tables, string connectionString,
        string secrets, string? appFolder, FunctionKeys keys, ServiceProvider? clientServices, IReadOnlyDictionary<string, string?> settings)
    {
        _apps = apps;
        _starters = starters;
        AppSettingsGiven = settings;
        _tables = [.. tables.All().Select(t => t.Table)];
        _secrets = secrets;
        _appFolder = appFolder;
        _clientServices = clientServices;
        Host = host;
        TableNames = tables;
        Simulator = simulator;
        var queues = new QueueServiceClient(connectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        Queue = queues.GetQueueClient(queueName);
        Poison = queues.GetQueueClient(queueName + "-poison");
        RequestQueue = new RefundRequestQueue(queues, queueName);
        Ledger = (apps[0]!.Services ?? clientServices!).GetRequiredService<IRefundLedger>();
        Storage = new TableServiceClient(connectionString);
        Keys = keys;
        Urls = [.. apps.Select(a => a!.Url)];
        Client = CreateClient(0, Keys.HostKeys[SecretsFolder.DefaultKeyName]);
    }

    /// <summary>The host the system runs on (the test output names it).</summary>
    public EndToEndHost Host { get; }

    /// <summary>The host the run picked, for tests that report it without starting a system.</summary>
    public static string HostName => EndToEndHost.Current.Description;

    /// <summary>The app's settings (configuration keys) as every instance was given them.</summary>
    public IReadOnlyDictionary<string, string?> AppSettingsGiven { get; }

    /// <summary>The system's own tables, as the app was given them in its settings.</summary>
    public StorageTableOptions TableNames { get; }

    /// <summary>The keys every instance enforces (one secrets folder, as instances of one app share their keys).</summary>
    public FunctionKeys Keys { get; }

    /// <summary>Each instance's base address.</summary>
    public IReadOnlyList<Uri> Urls { get; }

    /// <summary>The first instance, presenting the host's default key.</summary>
    public HttpClient Client { get; }

    /// <summary>The services of instance <paramref name="instance"/> (e.g. its <see cref="ServedFunctions"/>): the local host only.</summary>
    public IServiceProvider Services(int instance) => _apps[instance] switch
    {
        null => throw new InvalidOperationException($"instance {instance} was stopped"),
        { Services: { } services } => services,
        _ => throw new InvalidOperationException($"instance {instance} runs on {Host.Description}: only the in-process local host exposes the app's services"),
    };

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

    /// <summary>Starts a stopped instance again with the settings it had (the first instance at its address): a host restart.</summary>
    public async Task StartInstanceAsync(int instance)
    {
        if (_apps[instance] is not null)
        {
            throw new InvalidOperationException($"instance {instance} is running");
        }

        _apps[instance] = await _starters[instance]();
    }

    /// <summary>Stops one instance gracefully (its queue messages in flight finish, its timer lock is released).</summary>
    public async Task StopInstanceAsync(int instance)
    {
        if (_apps[instance] is { } app)
        {
            _apps[instance] = null;
            await app.StopAsync();
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

    /// <summary>
    /// The app's reconciler, as the timer function would call it: of the first local host still running, or on
    /// <c>func</c> the app's own wiring built in the test from the same settings.
    /// </summary>
    public Reconciler Reconciler => (_apps.FirstOrDefault(a => a?.Services is not null)?.Services ?? _clientServices
        ?? throw new InvalidOperationException("no instance is running")).GetRequiredService<Reconciler>();

    /// <summary>The functions a system serves (like <c>func start --functions</c>).</summary>
    public static IReadOnlyList<string> FunctionsServed(RefundSystemOptions options) => options.AllFunctions
        ? [.. FunctionCatalog.Discover(typeof(FunctionAppServices).Assembly).Select(f => f.Name)]
        : [
        "ProcessRefundRequest", "RefundRequestPoison", "Health", "SubmitRefund", "ListOrderRefunds", "GetOrderRefund",
        "RequeueRefundRequest", "RequeueDeadLetteredRefundRequests",
        "GetRefundRequest", "ApproveRefundRequest", "DenyRefundRequest", "CancelRefundRequest",
        .. options.Webhooks ? new[] { "PingppWebhook" } : [],
        .. options.ReconcileSchedule is not null ? new[] { "Reconcile" } : [],
    ];

    /// <summary>Table names no other system uses, given to the app through its <c>Storage__*Table</c> settings.</summary>
    public static StorageTableOptions UniqueTables(string suffix) => new()
    {
        RefundLedgerTable = "e2eled" + suffix,
        ReconcileIndexTable = "e2eidx" + suffix,
        WebhookEventsTable = "e2eevt" + suffix,
        DiscrepanciesTable = "e2edis" + suffix,
        AnomaliesTable = "e2eano" + suffix,
        RequestIndexTable = "e2erix" + suffix,
        ProblemReviewsTable = "e2erev" + suffix,
    };

    /// <summary>The app's settings of a system (configuration keys): storage, Ping++, its queue and tables, test-sized timings.</summary>
    public static Dictionary<string, string?> AppSettings(
        RefundSystemOptions options, IReadOnlyDictionary<string, string?> simulatorSettings, string pingppPublicKeyPem, string queueName, StorageTableOptions tables, string hostId)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in simulatorSettings)
        {
            settings[key] = value;
        }

        settings["AzureWebJobsStorage"] = options.StorageConnectionString;
        settings["Pingpp:WebhookPublicKeys:0"] = pingppPublicKeyPem;
        settings["Logging:LogLevel:Default"] = Environment.GetEnvironmentVariable("REFUNDS_TEST_LOGLEVEL") ?? "Warning";
        settings["RefundRequestsQueue"] = queueName;
        foreach (var (setting, table) in tables.All())
        {
            settings[setting.Replace("__", ":", StringComparison.Ordinal)] = table;
        }

        settings["Pingpp:RequestTimeout"] = options.RequestTimeout.ToString();
        settings["Pingpp:MaxReadRetries"] = "1";
        settings["Refunds:CreateGracePeriod"] = options.GracePeriod.ToString();
        settings["Refunds:LeaseDuration"] = options.LeaseDuration.ToString();
        settings["Pingpp:SignTimeout"] = (options.LeaseDuration - (options.RequestTimeout * 3)).ToString();
        settings["Reconciliation:MaxOrdersPerRun"] = "10000";
        settings["Reconciliation:MaxConcurrency"] = "16";
        settings["ReconcileSchedule"] = options.ReconcileSchedule ?? "0 0 3 1 1 *";
        settings[HostStorage.HostIdSetting] = hostId;
        foreach (var (key, value) in options.Settings)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>The test's host.json: the repository's batch settings, test-sized timings.</summary>
    public static QueueHostOptions QueueOptions(RefundSystemOptions options) => new()
    {
        BatchSize = options.BatchSize,
        NewBatchThreshold = options.NewBatchThreshold,
        MaxDequeueCount = options.MaxDequeueCount,
        VisibilityTimeout = options.VisibilityTimeout,
        MaxPollingInterval = TimeSpan.FromMilliseconds(200),
        MessageEncoding = QueueMessageEncoding.None,
        // How long a received message stays invisible when the listener cannot hand it back (storage down as it
        // fails: its visibility update fails too). Test-sized, above any one invocation.
        MessageLease = TimeSpan.FromSeconds(20),
    };

    public static SingletonHostOptions SingletonOptions { get; } =
        new() { ListenerLockPeriod = TimeSpan.FromSeconds(15), ListenerLockRecoveryPollingInterval = TimeSpan.FromSeconds(1) };

    public static async Task<RefundSystem> StartAsync(RefundSystemOptions options, Action<SimulatorOptions>? configureSimulator = null)
    {
        var host = EndToEndHost.Current;
        if (host.Kind == EndToEndHostKind.Func && options.ConfigureServices is not null)
        {
            throw new InvalidOperationException($"{EndToEndHost.Variable}=func: this system registers its own services, which only the in-process local host can take.");
        }

        var suffix = Guid.NewGuid().ToString("N")[..16];
        var queueName = "e2e-refunds-" + suffix;
        var tables = UniqueTables(suffix);
        var port = LoopbackServer.FreePort(); // the simulator must know the webhook URL before the app starts
        var hostUrl = $"http://127.0.0.1:{port}";
        var simulator = await SimulatorServer.StartAsync(
            options.Webhooks && options.SimulatorSendsWebhooks ? hostUrl + "/api/pingpp/webhooks" : null,
            options.SettleDelay,
            o =>
            {
                o.ApiLatency = options.ApiLatency;
                configureSimulator?.Invoke(o);
            });
        var secrets = Path.Combine(Path.GetTempPath(), "refunds-e2e-secrets-" + suffix);
        var appFolder = host.Kind == EndToEndHostKind.Func ? Path.Combine(Path.GetTempPath(), "refunds-e2e-func-" + suffix) : null;
        var apps = new List<IAppInstance?>();
        var starters = new List<Func<Task<IAppInstance>>>();
        ServiceProvider? clientServices = null;
        try
        {
            var functions = FunctionsServed(options);
            var settings = AppSettings(options, simulator.ClientSettings, simulator.Admin.PingppPublicKeyPem, queueName, tables, "e2e-" + suffix);
            FunctionKeys? keys = null;
            if (host.Kind == EndToEndHostKind.Func)
            {
                // The host reads the keys from the secrets folder; written first, in the format the local host writes.
                keys = SecretsFolder.LoadOrCreate(secrets, FunctionLevel(functions), out _);
                FuncHostLauncher.PrepareAppFolder(appFolder!, FuncHostLauncher.LocalSettings(settings, QueueOptions(options), SingletonOptions, secrets));
                clientServices = ClientServices(settings);
            }

            for (var instance = 0; instance < options.Instances; instance++)
            {
                // The first instance takes the port the simulator's webhooks go to; the others any free port.
                if (host.Kind == EndToEndHostKind.Func)
                {
                    var instancePort = instance == 0 ? port : LoopbackServer.FreePort();
                    starters.Add(async () => await FuncInstance.StartAsync(
                        FuncHostLauncher.StartInfo(host.FuncPath!, appFolder!, instancePort, functions), new Uri($"http://127.0.0.1:{instancePort}")));
                }
                else
                {
                    var devHost = new DevHostOptions
                    {
                        UseLocalSettingsFile = false,
                        Functions = functions,
                        SecretsPath = secrets,
                        Singleton = SingletonOptions,
                        Queues = QueueOptions(options),
                        ConfigureServices = options.ConfigureServices,
                    };
                    foreach (var (key, value) in settings)
                    {
                        devHost.Settings[key] = value;
                    }

                    var url = instance == 0 ? hostUrl : "http://127.0.0.1:0";
                    starters.Add(async () => await DevHostInstance.StartAsync(url, devHost));
                }

                apps.Add(await starters[^1]());
            }

            keys ??= apps[0]!.Services!.GetRequiredService<FunctionKeys>();
            return new RefundSystem(host, apps, starters, simulator, queueName, tables, options.StorageConnectionString, secrets, appFolder, keys, clientServices, settings);
        }
        catch
        {
            foreach (var app in apps)
            {
                await app!.StopAsync();
            }

            if (clientServices is not null)
            {
                await clientServices.DisposeAsync();
            }

            await simulator.DisposeAsync();
            DeleteFolder(secrets);
            DeleteFolder(appFolder);
            throw;
        }
    }

    /// <summary>The function-level HTTP functions among <paramref name="functions"/> (each gets a key file of its own).</summary>
    public static IEnumerable<string> FunctionLevel(IEnumerable<string> functions)
    {
        var served = functions.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return FunctionCatalog.Discover(typeof(FunctionAppServices).Assembly)
            .Where(f => served.Contains(f.Name) && f.Trigger is HttpFunctionTrigger { AuthLevel: AuthorizationLevel.Function })
            .Select(f => f.Name);
    }

    /// <summary>The app's own wiring (<c>AddRefundsFunctionApp</c>) built in the test from the app's settings: its ledger and reconciler on the system's tables.</summary>
    public static ServiceProvider ClientServices(IReadOnlyDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddRefundsFunctionApp(configuration)
            .BuildServiceProvider();
    }

    private static void DeleteFolder(string? folder)
    {
        if (folder is not null && Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A request for the whole of a freshly seeded order (one charge).</summary>
    public Task<RefundRequest> SeededRequestAsync(string requestId, long amount) => RefundQueues.SeededRequestAsync(Sim, requestId, amount);

    /// <summary>
    /// Polls the ledger until every request satisfies <paramref name="done"/>; fails after <paramref name="timeout"/>
    /// naming the requests still short of it.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, RefundRequestRecord>> WaitForAllAsync(
        IReadOnlyCollection<string> requestIds, Func<RefundRequestRecord, bool> done, TimeSpan timeout, int concurrency = 16)
    {
        var records = new System.Collections.Concurrent.ConcurrentDictionary<string, RefundRequestRecord?>();
        var pending = requestIds.ToList();
        await Eventually.ReturnsAsync(
            async () =>
            {
                // Only the requests still short of done are read again.
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
                return pending;
            },
            left => left.Count == 0,
            timeout,
            $"{requestIds.Count} requests",
            left => $"{left.Count} not there: " + string.Join("; ", left.Take(5).Select(id => records.GetValueOrDefault(id) is { } r
                ? $"{id}: {r.State} (attempt {r.Attempt}, {r.LastError})"
                : $"{id}: not in the ledger")));
        return records.ToDictionary(r => r.Key, r => r.Value!);
    }

    /// <summary>Waits until neither the queue nor its poison queue holds a message (visible or not).</summary>
    public Task WaitForQueuesDrainedAsync(TimeSpan timeout) => RefundQueues.DrainedAsync(Queue, Poison, timeout);

    /// <summary>Waits until the simulator has no webhook still to deliver (each delivered, dropped or given up).</summary>
    public Task WaitForWebhooksSentAsync(TimeSpan timeout)
        => Eventually.ReturnsAsync(
            async () => (await Sim.GetEventsAsync()).Count(e => e.DeliveryState is "pending" or "held"),
            open => open == 0,
            timeout,
            "every webhook delivered",
            open => $"{open} still to deliver");

    public static Task<int> CountAsync(QueueClient queue) => RefundQueues.CountAsync(queue);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        for (var instance = 0; instance < _apps.Count; instance++)
        {
            await StopInstanceAsync(instance);
        }

        if (_clientServices is not null)
        {
            await _clientServices.DisposeAsync();
        }

        await Simulator.DisposeAsync();
        DeleteFolder(_secrets);
        DeleteFolder(_appFolder);
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
}
