using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Refunds.Core.Anomalies;
using Refunds.Core.Ledger;
using Refunds.Core.Operations;
using Refunds.Core.Pingpp;
using Refunds.Core.Reconciliation;
using Refunds.Core.Refunds;
using Refunds.Core.Webhooks;
using Refunds.IntegrationTests.Support;

namespace Refunds.IntegrationTests.Reconciliation;

/// <summary>
/// Reconciliation wired to real parts: its own simulator, unique Azurite tables and queue, the production-wired
/// Ping++ client. The ledger and the reconciler share a <see cref="FakeTimeProvider"/> (started at the real clock) so
/// tests can step past leases and grace periods without waiting.
/// </summary>
public sealed class ReconcileHarness : IAsyncDisposable
{
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(2);

    private ReconcileHarness(SimulatorServer simulator, string queueName, string suffix, AnomalyMode mode, RecheckSchedule? watch, ApprovalOptions? approval)
    {
        Simulator = simulator;
        Time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var tables = Azurite.Tables();
        LedgerTable = "led" + suffix;
        IndexTable = "idx" + suffix;
        Watch = watch is null ? null : new OrderWatchIndex(tables, watch, Time, IndexTable, LedgerTable);
        Client = simulator.CreateClient();
        // With approval limits, the gate as the app wires it (daily total in the ledger table, amounts from the simulator).
        var gate = approval is null ? null : new ApprovalGate(
            Options.Create(approval),
            new DailyApprovalCounter(tables, LedgerTable),
            new RefundAmountResolver(new ServiceCollection().AddSingleton(Client).BuildServiceProvider().GetRequiredService<IServiceScopeFactory>(), NullLogger<RefundAmountResolver>.Instance),
            Time);
        Ledger = new RefundLedger(tables, Time, NullLogger<RefundLedger>.Instance, LedgerTable, IndexTable, watch: Watch, admission: gate);
        QueueClient = new QueueClient(Azurite.ConnectionString, queueName);
        Queue = new RefundRequestQueue(new QueueServiceClient(Azurite.ConnectionString), queueName);
        Discrepancies = new DiscrepancyStore(tables, Time, "dis" + suffix);
        State = new ReconcileStateStore(tables, IndexTable);
        Anomalies = new AnomalyStore(tables, Time, "ano" + suffix);
        AnomalyOptions = Options.Create(new AnomalyOptions { Mode = mode });
        Metrics = new ReconciliationMetrics();
        Observer = new AnomalyPaymentEventObserver(Anomalies, Ledger, AnomalyOptions, Metrics, NullLogger<AnomalyPaymentEventObserver>.Instance);
    }

    public SimulatorServer Simulator { get; }
    public FakeTimeProvider Time { get; }
    public string LedgerTable { get; }
    public string IndexTable { get; }
    public RefundLedger Ledger { get; }

    /// <summary>The due-time index of finished orders, which the ledger enters them in; null unless started with a re-check schedule.</summary>
    public OrderWatchIndex? Watch { get; }
    public Refunds.Core.Pingpp.PingppClient Client { get; }
    public QueueClient QueueClient { get; }
    public RefundRequestQueue Queue { get; }
    public DiscrepancyStore Discrepancies { get; }
    public ReconcileStateStore State { get; }
    public AnomalyStore Anomalies { get; }
    public IOptions<AnomalyOptions> AnomalyOptions { get; }
    public ReconciliationMetrics Metrics { get; }
    public AnomalyPaymentEventObserver Observer { get; }

    public SimulatorAdmin Admin => Simulator.Admin;

    /// <param name="approval">Approval limits for the ledger's gate; none (the default) lets every request through.</param>
    public static async Task<ReconcileHarness> StartAsync(
        AnomalyMode mode = AnomalyMode.Report, string? webhookUrl = null, Action<Pingpp.Simulator.SimulatorOptions>? configure = null, RecheckSchedule? watch = null, ApprovalOptions? approval = null)
    {
        var simulator = await SimulatorServer.StartAsync(webhookUrl, configure: configure);
        var suffix = Guid.NewGuid().ToString("N")[..12];
        return new ReconcileHarness(simulator, "rec-" + suffix, suffix, mode, watch, approval);
    }

    /// <summary>A reconciler over the harness's parts (a new instance each call, as a second host would have).</summary>
    public Reconciler Reconciler(int maxOrders = 500, int maxConcurrency = 4, int maxPlacements = 20) => new(
        Ledger, Client, Queue, Discrepancies, State, Resolver(maxOrders, maxConcurrency),
        ReconciliationOptions(maxOrders, maxConcurrency, maxPlacements), Metrics, Time, NullLogger<Reconciler>.Instance, Placer());

    /// <summary>Refunds of an unknown order, in the harness's reconcile index table.</summary>
    public UnplacedRefundStore Unplaced => new(Azurite.Tables(), Time, IndexTable);

    /// <summary>The charge lookup of refunds whose order is unknown, searching the simulator's app.</summary>
    public UnplacedRefundPlacer Placer() => new(
        Client, Ledger, Unplaced, Options.Create(new OrderSweepOptions { AppId = new Pingpp.Simulator.SimulatorOptions().AppId }),
        new UnplacedRefundMetrics(), Time, NullLogger<UnplacedRefundPlacer>.Instance);

    /// <summary>The webhook module's event handler over the harness's ledger, keeping refunds it cannot place.</summary>
    public WebhookEventHandler WebhookHandler() => new(Ledger, Observer, NullLogger<WebhookEventHandler>.Instance, Unplaced);

    /// <summary>The re-checks of finished orders over the harness's parts and <see cref="Watch"/> (a new instance each call, as a restarted host would have).</summary>
    public OrderWatchRechecks Rechecks(int perRun = 200, int maxConcurrency = 4) => new(
        Ledger, Client, Watch ?? throw new InvalidOperationException("start the harness with a re-check schedule"), Discrepancies,
        Options.Create(new OrderWatchOptions { RechecksPerRun = perRun }), ReconciliationOptions(500, maxConcurrency), Metrics, Time, NullLogger<OrderWatchRechecks>.Instance);

    /// <summary>The sweep's cursor and findings, in the harness's reconcile index table.</summary>
    public OrderSweepStore SweepStore => new(Azurite.Tables(), IndexTable);

    /// <summary>An order-list sweep over the harness's parts and the simulator's app (a new instance each call, as a restarted host would have).</summary>
    public OrderSweep Sweep(int pagesPerRun = 5, TimeSpan? interval = null, OrderSweepMetrics? metrics = null) => new(
        Client, Ledger, Resolver(), SweepStore,
        Options.Create(new OrderSweepOptions
        {
            SweepEnabled = true,
            AppId = new Pingpp.Simulator.SimulatorOptions().AppId,
            SweepPagesPerRun = pagesPerRun,
            SweepInterval = interval ?? TimeSpan.FromHours(1),
        }),
        metrics ?? new OrderSweepMetrics(), Time, NullLogger<OrderSweep>.Instance);

    /// <summary>The abnormal-payment step of a reconciliation run over the harness's parts.</summary>
    public AnomalyResolver Resolver(int maxOrders = 500, int maxConcurrency = 4) =>
        new(Anomalies, Ledger, Queue, State, AnomalyOptions, ReconciliationOptions(maxOrders, maxConcurrency), Metrics, Time, NullLogger<AnomalyResolver>.Instance);

    private static IOptions<ReconciliationOptions> ReconciliationOptions(int maxOrders, int maxConcurrency, int maxPlacements = 20) => Options.Create(new ReconciliationOptions
    {
        MaxPlacementsPerRun = maxPlacements,
        MaxOrdersPerRun = maxOrders,
        MaxConcurrency = maxConcurrency,
        MaxRunDuration = TimeSpan.FromMinutes(10),
        CreateGracePeriod = Grace,
    });

    /// <summary>Records a request in the ledger as the refund processor does (before calling Ping++), fingerprint included.</summary>
    public async Task<RefundRequest> RecordRequestAsync(string orderId, string requestId, string? charge = null, long? amount = null)
    {
        var request = new RefundRequest { RequestId = requestId, OrderId = orderId, Description = "customer refund", Charge = charge, ChargeAmount = amount };
        await Ledger.CreateRequestAsync(request.ToLedgerRecord(), CancellationToken.None);
        return request;
    }

    /// <summary>The processor's happy path with real parts: record, claim, create at Ping++, record what Ping++ answered.</summary>
    public async Task<IReadOnlyList<PingppRefund>> SubmitAsync(string orderId, string requestId, string? charge = null, long? amount = null)
    {
        var request = await RecordRequestAsync(orderId, requestId, charge, amount);
        var claim = await Ledger.TryBeginSubmitAsync(requestId, Time.GetUtcNow(), TimeSpan.FromSeconds(30), CancellationToken.None);
        if (claim.Outcome != SubmitClaimOutcome.Claimed)
        {
            throw new InvalidOperationException($"request {requestId}: the claim came back {claim.Outcome}, not Claimed");
        }

        var created = await Client.CreateOrderRefundAsync(orderId, request.ToCreateOrderRefundRequest());
        await Ledger.RecordSubmittedAsync(requestId, created.Data, CancellationToken.None);
        return created.Data;
    }

    /// <summary>The refund processor over the harness's ledger, client and clock (what the queue function runs).</summary>
    public RefundProcessor Processor() => new(
        Ledger, Client,
        Options.Create(new RefundProcessingOptions { CreateGracePeriod = Grace, LeaseDuration = TimeSpan.FromSeconds(30) }),
        Time, new RefundMetrics(), NullLogger<RefundProcessor>.Instance);

    /// <summary>
    /// Delivers every message now in the refund queue to the processor once, as the queue function would: completed
    /// (deleted) when it returns, left for redelivery when it throws. Returns the outcomes of the completed ones.
    /// </summary>
    public async Task<IReadOnlyList<RefundProcessingOutcome>> ProcessQueueAsync()
    {
        var outcomes = new List<RefundProcessingOutcome>();
        if (!await QueueClient.ExistsAsync())
        {
            return outcomes;
        }

        var processor = Processor();
        var messages = (await QueueClient.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30))).Value;
        foreach (var message in messages)
        {
            try
            {
                outcomes.Add(await processor.ProcessAsync(message.Body.ToMemory(), message.MessageId, message.DequeueCount, CancellationToken.None));
                await QueueClient.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }
            catch (RefundRetryLaterException)
            {
                await QueueClient.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
            }
        }

        return outcomes;
    }

    /// <summary>Every message in the refund queue (peeked, left in place), parsed back into requests.</summary>
    public async Task<IReadOnlyList<RefundRequest>> QueuedAsync()
    {
        if (!await QueueClient.ExistsAsync())
        {
            return [];
        }

        var peeked = await QueueClient.PeekMessagesAsync(32);
        return [.. peeked.Value.Select(m => RefundRequestParser.Parse(m.Body.ToString(), null).Request!)];
    }

    /// <summary>The simulator's <c>order.succeeded</c> event for an order, parsed as the receiver would.</summary>
    public Task<PingppEvent> OrderSucceededEventAsync(string orderId) => EventAsync("order.succeeded", orderId);

    /// <summary>The simulator's <c>charge.succeeded</c> event for a charge (a payment of an order), parsed as the receiver would.</summary>
    public Task<PingppEvent> ChargeSucceededEventAsync(string chargeId) => EventAsync("charge.succeeded", chargeId);

    /// <summary>The simulator's event of <paramref name="type"/> about <paramref name="objectId"/>, parsed as the receiver would.</summary>
    public async Task<PingppEvent> EventAsync(string type, string objectId)
    {
        var events = await Admin.GetEventsAsync();
        var body = events.Single(e => e.Type == type && e.ObjectId == objectId).Body;
        return PingppEventParser.TryParse(JsonSerializer.SerializeToUtf8Bytes(body), out var parsed, out var reason)
            ? parsed
            : throw new InvalidOperationException($"the simulator's {type} event for {objectId} does not parse: {reason}");
    }

    public async ValueTask DisposeAsync()
    {
        await QueueClient.DeleteIfExistsAsync();
        var tables = Azurite.Tables();
        foreach (var name in new[] { LedgerTable, IndexTable })
        {
            await tables.DeleteTableAsync(name);
        }

        await Simulator.DisposeAsync();
    }
}
