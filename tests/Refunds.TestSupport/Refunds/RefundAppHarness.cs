using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Refunds.DevHost;
using Refunds.DevHost.Keys;
using Refunds.IntegrationTests.Support;

namespace Refunds.IntegrationTests.RefundRequests;

using Refunds.Core.Ledger;
using Refunds.Core.Operations;
using Refunds.Core.Pingpp;
using Refunds.Core.Refunds;
using Refunds.Core.Webhooks;

/// <summary>
/// The refund functions served by the dev host (real Azurite queues with host.json semantics, real HTTP on
/// 127.0.0.1:0) against an in-process Ping++ simulator, with a unique queue and unique ledger tables per harness.
/// Timings are shrunk for tests with host.json's proportions (visibility × (attempts − 1) well above the grace
/// period): Ping++ request timeout 1 s, grace period 2 s, sign bound 2.5 s, lease 6 s, visibility timeout 1 s, 5 attempts.
/// </summary>
public sealed class RefundAppHarness : IAsyncDisposable
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan SignTimeout = TimeSpan.FromSeconds(2.5);

    private readonly WebApplication _app;
    private readonly string _secrets;

    private RefundAppHarness(WebApplication app, SimulatorServer simulator, string queueName, IRefundLedger ledger, string secrets)
    {
        _app = app;
        _secrets = secrets;
        Simulator = simulator;
        QueueName = queueName;
        Ledger = ledger;
        var keys = app.Services.GetRequiredService<FunctionKeys>();
        Client = CreateClient(keys.HostKeys[SecretsFolder.DefaultKeyName]);
        AdminClient = CreateClient(keys.MasterKey);
        var queues = new QueueServiceClient(Azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        Queue = queues.GetQueueClient(queueName);
        Poison = queues.GetQueueClient(queueName + "-poison");
        RequestQueue = new RefundRequestQueue(queues, queueName);
    }

    public SimulatorServer Simulator { get; }

    public SimulatorAdmin Sim => Simulator.Admin;

    public string QueueName { get; }

    public QueueClient Queue { get; }

    public QueueClient Poison { get; }

    public RefundRequestQueue RequestQueue { get; }

    public IRefundLedger Ledger { get; }

    /// <summary>The dev host (the function app), presenting the host's default function key.</summary>
    public HttpClient Client { get; }

    /// <summary>The dev host presenting the master key (the admin-level manage routes).</summary>
    public HttpClient AdminClient { get; }

    /// <summary>The app's services, to check what the production wiring resolved.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>The webhook function's route (<c>PingppWebhook</c>).</summary>
    public const string WebhookPath = "/api/pingpp/webhooks";

    /// <param name="webhooks">Also serve the webhook function, and have the simulator deliver its events to it.</param>
    /// <param name="settings">App settings (keys like <c>Pingpp:SigningKeyId</c>) that win over the harness's; null value = removed.</param>
    /// <param name="configureServices">Registrations after the harness's own (e.g. a Key Vault transport).</param>
    public static async Task<RefundAppHarness> StartAsync(
        int maxDequeueCount = 5,
        string? apiBaseOverride = null,
        bool webhooks = false,
        IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection, SimulatorServer>? configureServices = null)
    {
        // The app's address is known only once it runs, and it needs the simulator's: start the simulator with a
        // placeholder webhook URL (so events are scheduled for delivery) and point it at the app below.
        var simulator = await SimulatorServer.StartAsync(webhooks ? "http://127.0.0.1:1/not-started" : null);
        try
        {
            var queueName = "refunds-" + Guid.NewGuid().ToString("N")[..20];
            var ledgerTable = Azurite.UniqueTable("e2eled");
            var indexTable = Azurite.UniqueTable("e2eidx");
            var eventTable = Azurite.UniqueTable("e2eevt");
            var requestIndexTable = Azurite.UniqueTable("e2erix");
            string[] functions = ["ProcessRefundRequest", "RefundRequestPoison", "SubmitRefund", "ListOrderRefunds", "GetOrderRefund",
                "ListOrderRefundsAtPingpp", "GetOrderRefundAtPingpp", "RequeueRefundRequest", "RequeueDeadLetteredRefundRequests",
                "SubmitRefundEntra", "ListOrderRefundsEntra", "GetOrderRefundEntra", "RequeueRefundRequestEntra", "RequeueDeadLetteredRefundRequestsEntra",
                "ListProblems", "ReviewProblem", "SearchRefundRequests", "ExportRefundRequests", "DailyStats",
                "ListProblemsEntra", "ReviewProblemEntra", "SearchRefundRequestsEntra", "ExportRefundRequestsEntra", "DailyStatsEntra",
                "GetRefundRequest", "ApproveRefundRequest", "DenyRefundRequest", "CancelRefundRequest",
                "GetRefundRequestEntra", "ApproveRefundRequestEntra", "DenyRefundRequestEntra", "CancelRefundRequestEntra"];
            var options = new DevHostOptions
            {
                UseLocalSettingsFile = false,
                // Keys enforced, from a folder of the harness's own (generated on start).
                SecretsPath = Path.Combine(Path.GetTempPath(), "refunds-test-secrets-" + Guid.NewGuid().ToString("N")),
                Functions = webhooks ? [.. functions, "PingppWebhook"] : functions,
                Queues = new QueueHostOptions
                {
                    BatchSize = 16,
                    NewBatchThreshold = 8,
                    MaxDequeueCount = maxDequeueCount,
                    VisibilityTimeout = TimeSpan.FromSeconds(1),
                    MaxPollingInterval = TimeSpan.FromMilliseconds(200),
                    MessageEncoding = QueueMessageEncoding.None,
                    MessageLease = TimeSpan.FromMinutes(2),
                },
                ConfigureServices = services =>
                {
                    // The approval gate as the app wires it, with its daily total in the harness's own ledger table.
                    services.AddSingleton<IRefundLedger>(sp => new RefundLedger(
                        sp.GetRequiredService<Azure.Data.Tables.TableServiceClient>(), sp.GetRequiredService<TimeProvider>(),
                        sp.GetRequiredService<ILogger<RefundLedger>>(), ledgerTable, indexTable, null, requestIndexTableName: requestIndexTable, admission: sp.GetRequiredService<IRequestAdmission>()));
                    services.AddSingleton(sp => new DailyApprovalCounter(sp.GetRequiredService<Azure.Data.Tables.TableServiceClient>(), ledgerTable));
                    services.Replace(ServiceDescriptor.Singleton(sp =>
                        new WebhookEventStore(sp.GetRequiredService<Azure.Data.Tables.TableServiceClient>(), eventTable)));
                    configureServices?.Invoke(services, simulator);
                },
            };
            foreach (var (key, value) in simulator.ClientSettings)
            {
                options.Settings[key] = value;
            }

            options.Settings["AzureWebJobsStorage"] = Azurite.ConnectionString;
            // The app validates its webhook key on start (the webhook function is not served here).
            options.Settings["Pingpp:WebhookPublicKeys:0"] = simulator.Admin.PingppPublicKeyPem;
            options.Settings["Logging:LogLevel:Default"] = Environment.GetEnvironmentVariable("REFUNDS_TEST_LOGLEVEL") ?? "Warning";
            options.Settings["RefundRequestsQueue"] = queueName;
            // The operator services read the same tables as the ledger registered above.
            options.Settings["Storage:RefundLedgerTable"] = ledgerTable;
            options.Settings["Storage:ReconcileIndexTable"] = indexTable;
            options.Settings["Storage:WebhookEventsTable"] = eventTable;
            options.Settings["Storage:RequestIndexTable"] = requestIndexTable;
            options.Settings["Storage:ProblemReviewsTable"] = Azurite.UniqueTable("e2erev");
            options.Settings["Pingpp:RequestTimeout"] = RequestTimeout.ToString();
            options.Settings["Pingpp:MaxReadRetries"] = "1";
            options.Settings["Refunds:CreateGracePeriod"] = GracePeriod.ToString();
            options.Settings["Refunds:LeaseDuration"] = "00:00:06";
            options.Settings["Pingpp:SignTimeout"] = SignTimeout.ToString();
            if (apiBaseOverride is not null)
            {
                options.Settings["Pingpp:ApiBase"] = apiBaseOverride;
            }

            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                if (value is null)
                {
                    options.Settings.Remove(key);
                }
                else
                {
                    options.Settings[key] = value;
                }
            }

            var app = DevHostApplication.Build(["--urls", "http://127.0.0.1:0"], options);
            await app.StartAsync();
            var served = app.Services.GetRequiredService<ServedFunctions>();
            await Task.WhenAll(served.All.Select(f => f.Ready)).WaitAsync(TimeSpan.FromSeconds(30));
            if (webhooks)
            {
                simulator.DeliverWebhooksTo(new Uri(app.Urls.Single().TrimEnd('/') + WebhookPath));
            }
            return new RefundAppHarness(app, simulator, queueName, app.Services.GetRequiredService<IRefundLedger>(), options.SecretsPath);
        }
        catch
        {
            await simulator.DisposeAsync();
            throw;
        }
    }

    /// <summary>A request for the whole of a freshly seeded order (one charge), with the given id.</summary>
    public Task<RefundRequest> SeededRequestAsync(string requestId, long amount = 1000, long? chargeAmount = null)
        => RefundQueues.SeededRequestAsync(Sim, requestId, amount, chargeAmount);

    /// <summary>Polls the ledger until the request satisfies <paramref name="done"/> (fails after <paramref name="timeout"/>).</summary>
    public async Task<RefundRequestRecord> WaitForRequestAsync(string requestId, Func<RefundRequestRecord, bool> done, TimeSpan? timeout = null)
        => (await Eventually.ReturnsAsync(
            () => Ledger.GetRequestAsync(requestId, CancellationToken.None),
            last => last is not null && done(last),
            timeout ?? TimeSpan.FromSeconds(60),
            $"request {requestId}",
            last => $"{last?.State} (attempt {last?.Attempt}, last error {last?.LastError})",
            TimeSpan.FromMilliseconds(100)))!;

    public Task<RefundRequestRecord> WaitForStateAsync(string requestId, RefundRequestState state, TimeSpan? timeout = null)
        => WaitForRequestAsync(requestId, r => r.State == state, timeout);

    /// <summary>Waits until neither the queue nor its poison queue holds a message (visible or not).</summary>
    public Task WaitForQueuesDrainedAsync(TimeSpan? timeout = null)
        => RefundQueues.DrainedAsync(Queue, Poison, timeout ?? TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100));

    public static Task<int> CountAsync(QueueClient queue) => RefundQueues.CountAsync(queue);

    public async Task<JsonNode?> GetJsonAsync(string path, HttpClient? client = null)
    {
        using var response = await (client ?? Client).GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    private HttpClient CreateClient(string key)
    {
        var client = new HttpClient { BaseAddress = new Uri(_app.Urls.Single()), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add(FunctionKeys.Header, key);
        return client;
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, object body) => Client.PostAsJsonAsync(path, body);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        AdminClient.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_secrets, recursive: true);
        await Simulator.DisposeAsync();
        try
        {
            await Queue.DeleteIfExistsAsync();
            await Poison.DeleteIfExistsAsync();
        }
        catch (Azure.RequestFailedException)
        {
        }
    }
}
