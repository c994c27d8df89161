using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pingpp.Simulator.Faults;
using Refunds.Core.Anomalies;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Reconciliation;
using Refunds.Core.Refunds;
using Refunds.IntegrationTests.Support;

namespace Refunds.IntegrationTests.Reconciliation;

/// <summary>The reconciler against Azurite and the simulator, through the production-wired Ping++ client.</summary>
public sealed class ReconcilerTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Refunds_whose_webhooks_were_dropped_are_marked_succeeded_by_the_next_run()
    {
        await using var h = await ReconcileHarness.StartAsync(webhookUrl: "http://127.0.0.1:1/webhooks");
        await h.Admin.SetFaultsAsync(new Dictionary<string, FaultSpec> { [FaultInjector.Drop] = new() { Rate = 1 } });
        var order = await h.Admin.SeedOrderAsync(3000, [1000, 2000]);
        var created = await h.SubmitAsync(order.Id, "req-drop-1");
        Assert.Equal(2, created.Count);
        Assert.Equal(2, await h.Admin.SettleAsync(order.Id));
        var refundEvents = (await h.Admin.GetEventsAsync()).Where(e => e.Type == "refund.succeeded").ToList();
        Assert.Equal(2, refundEvents.Count);
        Assert.All(refundEvents, e => Assert.Equal("dropped", e.DeliveryState));
        Assert.All(created, r => Assert.Equal(PingppRefundStatus.Pending, h.Ledger.GetRefundAsync(r.Id, None).Result!.Status));

        var summary = await h.Reconciler().RunAsync(None);

        Assert.Equal(2, summary.RefundsUpdated);
        Assert.Equal(1, summary.OrdersChecked);
        Assert.True(summary.PingppCalls >= 1);
        foreach (var refund in created)
        {
            Assert.Equal(PingppRefundStatus.Succeeded, (await h.Ledger.GetRefundAsync(refund.Id, None))!.Status);
        }

        Assert.Equal(RefundRequestState.Succeeded, (await h.Ledger.GetRequestAsync("req-drop-1", None))!.State);
        Assert.Empty((await h.Ledger.ListOpenWorkAsync(100, null, None)).Items);
        Assert.Equal(0, (await h.Reconciler().RunAsync(None)).OrdersChecked);
    }

    [Fact]
    public async Task Refund_that_fails_at_pingpp_without_a_webhook_ends_failed_with_pingpps_code()
    {
        await using var h = await ReconcileHarness.StartAsync();
        var order = await h.Admin.SeedOrderAsync(1500);
        await h.Admin.SetFaultsAsync(new Dictionary<string, FaultSpec>
        {
            [FaultInjector.RefundFailure] = new() { Next = 1, OrderId = order.Id, FailureCode = "CHANNEL_REFUND_REFUSED", FailureMsg = "渠道拒绝退款" },
        });
        var refund = Assert.Single(await h.SubmitAsync(order.Id, "req-fail-1"));
        await h.Admin.SettleAsync(order.Id);

        var summary = await h.Reconciler().RunAsync(None);

        var record = (await h.Ledger.GetRefundAsync(refund.Id, None))!;
        Assert.Equal(1, summary.RefundsUpdated);
        Assert.Equal(PingppRefundStatus.Failed, record.Status);
        Assert.Equal("CHANNEL_REFUND_REFUSED", record.FailureCode);
        Assert.Equal("渠道拒绝退款", record.FailureMessage);
        Assert.Equal(RefundRequestState.Failed, (await h.Ledger.GetRequestAsync("req-fail-1", None))!.State);
    }

    [Fact]
    public async Task Refund_made_in_the_dashboard_is_recorded_as_external()
    {
        await using var h = await ReconcileHarness.StartAsync();
        var order = await h.Admin.SeedOrderAsync(2000, [1000, 1000]);
        var ours = await h.SubmitAsync(order.Id, "req-ours-1", order.ChargeIds[1], 500);
        var dashboard = Assert.Single(await h.Admin.DashboardRefundAsync(order.Id, order.ChargeIds[0], 10));

        var summary = await h.Reconciler().RunAsync(None);

        Assert.Equal(1, summary.External);
        var record = (await h.Ledger.GetRefundAsync(dashboard.Id, None))!;
        Assert.True(record.External);
        Assert.Null(record.RequestId);
        Assert.Equal(order.Id, record.OrderId);
        Assert.Equal(10, record.Amount);
        Assert.All(ours, r => Assert.False(h.Ledger.GetRefundAsync(r.Id, None).Result!.External));
    }

    [Fact]
    public async Task Request_that_crashed_between_claim_and_create_is_handed_back_once_per_grace_period_with_its_own_id()
    {
        await using var h = await ReconcileHarness.StartAsync();
        var order = await h.Admin.SeedOrderAsync(900);
        var request = await h.RecordRequestAsync(order.Id, "req-crash-1", order.ChargeIds[0], 400);
        Assert.Equal(SubmitClaimOutcome.Claimed, (await h.Ledger.TryBeginSubmitAsync(request.RequestId, h.Time.GetUtcNow(), TimeSpan.FromSeconds(30), None)).Outcome);
        // The process dies here: Ping++ is never called.

        var early = await h.Reconciler().RunAsync(None);
        h.Time.Advance(ReconcileHarness.Grace + TimeSpan.FromSeconds(1));
        var late = await h.Reconciler().RunAsync(None);
        var again = await h.Reconciler().RunAsync(None);

        Assert.Equal(0, early.ReEnqueued);
        Assert.Equal(1, late.ReEnqueued);
        Assert.Equal(0, again.ReEnqueued);
        var message = Assert.Single(await h.QueuedAsync());
        // Same id and parameters: the processor's dedupe by request id makes this the same request, not a new one.
        Assert.Equal(request, message);
        Assert.Equal(("req-crash-1", order.ChargeIds[0], 400L), (message.RequestId, message.Charge, message.ChargeAmount));
        Assert.Empty(await h.Admin.GetRefundsAsync(order.Id));

        h.Time.Advance(ReconcileHarness.Grace + TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await h.Reconciler().RunAsync(None)).ReEnqueued);
        Assert.Equal(2, await h.State.EnqueueCountAsync("req-crash-1", None));
    }

    [Fact]
    public async Task Request_that_crashed_between_claim_and_create_is_handed_back_and_the_processor_makes_exactly_one_refund()
    {
        await using var h = await ReconcileHarness.StartAsync();
        var order = await h.Admin.SeedOrderAsync(900);
        var request = await h.RecordRequestAsync(order.Id, "req-crash-run-1", order.ChargeIds[0], 400);
        Assert.Equal(SubmitClaimOutcome.Claimed, (await h.Ledger.TryBeginSubmitAsync(request.RequestId, h.Time.GetUtcNow(), TimeSpan.FromSeconds(30), None)).Outcome);
        // The process dies here: Ping++ is never called.
        h.Time.Advance(ReconcileHarness.Grace + TimeSpan.FromSeconds(1));

        Assert.Equal(1, (await h.Reconciler().RunAsync(None)).ReEnqueued);
        // The producer's original message is redelivered as well: two deliveries of the same request.
        await h.Queue.EnqueueAsync(request, None);
        var outcomes = await h.ProcessQueueAsync();

        Assert.Equal([RefundProcessingOutcome.Created, RefundProcessingOutcome.AlreadyHandled], outcomes);
        var refund = Assert.Single(await h.Admin.GetRefundsAsync());
        Assert.Equal((order.Id, request.RequestId, 400L), (refund.OrderId, refund.RequestId, refund.Amount));
        var stored = (await h.Ledger.GetRequestAsync(request.RequestId, None))!;
        Assert.Equal((RefundRequestState.Submitted, 2), (stored.State, stored.Attempt));
        Assert.Equal([refund.RefundId], stored.RefundIds);

        // Later runs find the request submitted: nothing handed back, nothing more created.
        h.Time.Advance(ReconcileHarness.Grace + TimeSpan.FromSeconds(1));
        Assert.Equal(0, (await h.Reconciler().RunAsync(None)).ReEnqueued);
        Assert.Empty(await h.ProcessQueueAsync());
        Assert.Single(await h.Admin.GetRefundsAsync());
    }

    [Fact]
    public async Task A_crash_during_the_create_is_handed_back_a_grace_period_after_the_create_started_not_after_the_claim()
    {
        await using var h = await ReconcileHarness.StartAsync();
        var order = await h.Admin.SeedOrderAsync(900);
        var request = await h.RecordRequestAsync(order.Id, "req-crash-send-1", order.ChargeIds[0], 300);
        var claim = await h.Ledger.TryBeginSubmitAsync(request.RequestId, h.Time.GetUtcNow(), TimeSpan.FromSeconds(30), None);
        // A slow lookup, then the write-ahead; the process dies while the create is in flight (it never arrives).
        h.Time.Advance(TimeSpan.FromSeconds(50));
        Assert.Equal(RequestUpdateOutcome.Updated, (await h.Ledger.RecordSendStartingAsync(request.RequestId, claim.Request!.Attempt, h.Time.GetUtcNow(), None)).Outcome);

        h.Time.Advance(ReconcileHarness.Grace - TimeSpan.FromSeconds(49));
        var graceSinceClaim = await h.Reconciler().RunAsync(None);
        h.Time.Advance(TimeSpan.FromSeconds(50));
        var graceSinceSend = await h.Reconciler().RunAsync(None);

        // Grace over since the claim but not since the create: the create might still become visible.
        Assert.Equal(0, graceSinceClaim.ReEnqueued);
        Assert.Equal(1, graceSinceSend.ReEnqueued);
        Assert.Equal([RefundProcessingOutcome.Created], await h.ProcessQueueAsync());
        var refund = Assert.Single(await h.Admin.GetRefundsAsync());
        Assert.Equal(request.RequestId, refund.RequestId);
        var stored = (await h.Ledger.GetRequestAsync(request.RequestId, None))!;
        Assert.Equal([refund.RefundId], stored.RefundIds);
        Assert.False(stored.Uncertain);
    }

    [Fact]
    public async Task Request_that_crashed_after_the_create_is_adopted_and_never_handed_back()
    {
        await using var h = await ReconcileHarness.StartAsync();
        var order = await h.Admin.SeedOrderAsync(900);
        var request = await h.RecordRequestAsync(order.Id, "req-lost-1");
        await h.Ledger.TryBeginSubmitAsync(request.RequestId, h.Time.GetUtcNow(), TimeSpan.FromSeconds(30), None);
        var created = Assert.Single((await h.Client.CreateOrderRefundAsync(order.Id, request.ToCreateOrderRefundRequest())).Data);
        // The answer is lost: nothing recorded. The lease and the grace period run out.
        h.Time.Advance(ReconcileHarness.Grace + TimeSpan.FromSeconds(1));

        var summary = await h.Reconciler().RunAsync(None);

        Assert.Equal(1, summary.Adopted);
        Assert.Equal(0, summary.ReEnqueued);
        Assert.Equal(0, summary.External);
        var stored = (await h.Ledger.GetRequestAsync("req-lost-1", None))!;
        Assert.Equal(RefundRequestState.Submitted, stored.State);
        Assert.Equal([created.Id], stored.RefundIds);
        Assert.Empty(await h.QueuedAsync());
        Assert.Single(await h.Admin.GetRefundsAsync(order.Id));
    }

    [Fact]
    public async Task One_odd_refund_id_in_a_listing_fails_only_its_order_and_the_run_still_saves_its_cursor()
    {
        await using var h = await ReconcileHarness.StartAsync();
        await using var pingpp = await Refunds.Core.UnitTests.Pingpp.ScriptedPingppServer.StartAsync();
        const string orderId = "2011609290000000991";
        await h.RecordRequestAsync(orderId, "req-odd-1", "ch_odd", 100);
        h.Time.Advance(ReconcileHarness.Grace + TimeSpan.FromSeconds(1));
        // Ping++ lists our refund and one whose id the ledger cannot key.
        pingpp.Reply(200, """
            {"object":"list","url":"/v1/orders/2011609290000000991/order_refunds","has_more":false,"data":[
              {"id":"re_odd/../1","object":"refund","amount":5,"status":"succeeded","charge":"ch_odd","created":1700000000,"metadata":{}},
              {"id":"re_oddOk0000000000000000001","object":"refund","amount":100,"status":"pending","charge":"ch_odd","created":1700000000,"metadata":{"refund_request_id":"req-odd-1"}}]}
            """);
        var client = h.Simulator.CreateClient(new Dictionary<string, string?> { [SimulatorServer.ConfigKey(Refunds.Core.Configuration.SettingNames.PingppApiBase)] = pingpp.BaseAddress });
        var anomalyOptions = Options.Create(new ReconciliationOptions { MaxRunDuration = TimeSpan.FromMinutes(1), CreateGracePeriod = ReconcileHarness.Grace });
        var reconciler = new Reconciler(h.Ledger, client, h.Queue, h.Discrepancies, h.State,
            new AnomalyResolver(h.Anomalies, h.Ledger, h.Queue, h.State, h.AnomalyOptions, anomalyOptions, h.Metrics, h.Time, NullLogger<AnomalyResolver>.Instance),
            anomalyOptions, h.Metrics, h.Time, NullLogger<Reconciler>.Instance);

        var summary = await reconciler.RunAsync(None);

        Assert.Equal((1, 1, 0), (summary.OrdersFailed, summary.Adopted, summary.OrdersChecked));
        Assert.Equal(RefundRequestState.Submitted, (await h.Ledger.GetRequestAsync("req-odd-1", None))!.State);
        Assert.Contains(await AllOpenOrdersAsync(h), o => o == orderId);
    }

    private static async Task<IReadOnlyList<string?>> AllOpenOrdersAsync(ReconcileHarness h)
        => (await h.Ledger.ListOpenWorkAsync(100, null, None)).Items.Select(i => i.OrderId).ToList();

    [Fact]
    public async Task An_uncertain_request_adopts_the_unmarked_refund_of_its_charge_and_amount_when_pingpp_strips_metadata()
    {
        await using var h = await ReconcileHarness.StartAsync();
        var order = await h.Admin.SeedOrderAsync(900);
        await h.Admin.SetFaultsAsync(new Dictionary<string, FaultSpec> { [FaultInjector.StripMetadata] = new() });
        var request = await h.RecordRequestAsync(order.Id, "req-strip-1", order.ChargeIds[0], 300);
        var claim = await h.Ledger.TryBeginSendAsync(request.ToLedgerRecord(), h.Time.GetUtcNow(), TimeSpan.FromSeconds(30), None);
        Assert.True(claim.SendMarked);
        var created = Assert.Single((await h.Client.CreateOrderRefundAsync(order.Id, request.ToCreateOrderRefundRequest())).Data);
        Assert.Null(created.RequestId);
        // The answer is lost; a refund of another charge amount (made in the dashboard) is no candidate.
        await h.Admin.DashboardRefundAsync(order.Id, order.ChargeIds[0], 50);
        h.Time.Advance(ReconcileHarness.Grace + TimeSpan.FromSeconds(1));

        var summary = await h.Reconciler().RunAsync(None);

        Assert.Equal((1, 0, 1), (summary.Adopted, summary.ReEnqueued, summary.External));
        var stored = (await h.Ledger.GetRequestAsync(request.RequestId, None))!;
        Assert.Equal((RefundRequestState.Submitted, false), (stored.State, stored.Uncertain));
        Assert.Equal([created.Id], stored.RefundIds);
        Assert.Equal((request.RequestId, false), ((await h.Ledger.GetRefundAsync(created.Id, None))!.RequestId, (await h.Ledger.GetRefundAsync(created.Id, None))!.External));
        Assert.Empty(await h.QueuedAsync());
    }

    [Fact]
    public async Task An_uncertain_request_with_two_unmarked_refunds_that_could_be_its_own_is_parked_for_review_and_never_handed_back()
    {
        await using var h = await ReconcileHarness.StartAsync();
        var order = await h.Admin.SeedOrderAsync(900);
        await h.Admin.SetFaultsAsync(new Dictionary<string, FaultSpec> { [FaultInjector.StripMetadata] = new() });
        var request = await h.RecordRequestAsync(order.Id, "req-strip-2", order.ChargeIds[0], 300);
        await h.Ledger.TryBeginSendAsync(request.ToLedgerRecord(), h.Time.GetUtcNow(), TimeSpan.FromSeconds(30), None);
        await h.Client.CreateOrderRefundAsync(order.Id, request.ToCreateOrderRefundRequest());
        await h.Admin.DashboardRefundAsync(order.Id, order.ChargeIds[0], 300);
        h.Time.Advance(ReconcileHarness.Grace + TimeSpan.FromSeconds(1));

        var first = await h.Reconciler().RunAsync(None);
        h.Time.Advance(ReconcileHarness.Grace + TimeSpan.FromSeconds(1));
        var second = await h.Reconciler().RunAsync(None);

        Assert.Equal((0, 0), (first.Adopted + second.Adopted, first.ReEnqueued + second.ReEnqueued));
        var stored = (await h.Ledger.GetRequestAsync(request.RequestId, None))!;
        Assert.Equal((RefundRequestState.NeedsReview, true), (stored.State, stored.Uncertain));
        Assert.Contains("2 refunds without our marker", stored.LastError);
        Assert.Empty(await h.QueuedAsync());
        Assert.Equal(2, (await h.Admin.GetRefundsAsync(order.Id)).Count);
    }

    [Fact]
    public async Task Abnormal_payments_under_auto_refund_enqueue_one_request_per_order_despite_replays_and_repeated_runs()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.AutoRefund);
        var canceled = await h.Admin.SeedOrderAsync(1200, status: "canceled");
        var overpaid = await h.Admin.SeedOrderAsync(1000, [1000, 1000]);
        var normal = await h.Admin.SeedOrderAsync(1000);

        foreach (var orderId in new[] { canceled.Id, overpaid.Id, normal.Id })
        {
            var evt = await h.OrderSucceededEventAsync(orderId);
            await h.Observer.OnOrderPaymentEventAsync(evt, None);
            await h.Observer.OnOrderPaymentEventAsync(evt, None); // a redelivery
        }

        var runs = new List<ReconciliationSummary>();
        for (var i = 0; i < 3; i++)
        {
            runs.Add(await h.Reconciler().RunAsync(None));
            // A replayed order.succeeded marks the order again; the next run sees the request already queued.
            await h.Observer.OnOrderPaymentEventAsync(await h.OrderSucceededEventAsync(overpaid.Id), None);
            await h.Observer.OnOrderPaymentEventAsync(await h.OrderSucceededEventAsync(canceled.Id), None);
        }

        Assert.Equal(2, runs[0].AnomalyRefundsEnqueued);
        Assert.Equal(0, runs[1].AnomalyRefundsEnqueued + runs[2].AnomalyRefundsEnqueued);
        var queued = await h.QueuedAsync();
        Assert.Equal(2, queued.Count);
        var cancelRefund = Assert.Single(queued, q => q.OrderId == canceled.Id);
        Assert.Equal(AnomalyRefundRequestIds.For(canceled.Id, AnomalyKind.PaidAfterCancel, canceled.ChargeIds[0]), cancelRefund.RequestId);
        Assert.Equal(1200, cancelRefund.ChargeAmount);
        var excessRefund = Assert.Single(queued, q => q.OrderId == overpaid.Id);
        Assert.Equal(1000, excessRefund.ChargeAmount);
        Assert.True(AnomalyRefundRequestIds.TryParse(excessRefund.RequestId, out _, out var kind, out var charge));
        Assert.Equal(AnomalyKind.Overpaid, kind);
        Assert.Contains(charge, overpaid.ChargeIds);
        Assert.DoesNotContain(queued, q => q.OrderId == normal.Id);
        Assert.Empty(await h.Anomalies.ListAsync(normal.Id, None));
        Assert.Contains("refund", Assert.Single(await h.Anomalies.ListAsync(overpaid.Id, None)).Outcome);
        Assert.Empty(await h.Admin.GetRefundsAsync(canceled.Id));
    }

    [Fact]
    public async Task Abnormal_payments_under_auto_refund_are_refunded_once_each_by_the_processor_despite_three_runs_and_replays()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.AutoRefund);
        var canceled = await h.Admin.SeedOrderAsync(1200, status: "canceled");
        var overpaid = await h.Admin.SeedOrderAsync(1000, [1000, 1000]);
        var normal = await h.Admin.SeedOrderAsync(1000);
        foreach (var orderId in new[] { canceled.Id, overpaid.Id, normal.Id })
        {
            await h.Observer.OnOrderPaymentEventAsync(await h.OrderSucceededEventAsync(orderId), None);
        }

        var outcomes = new List<RefundProcessingOutcome>();
        for (var i = 0; i < 3; i++)
        {
            await h.Reconciler().RunAsync(None);
            outcomes.AddRange(await h.ProcessQueueAsync());
            // A replayed order.succeeded marks the orders again, after their refunds were made.
            await h.Observer.OnOrderPaymentEventAsync(await h.OrderSucceededEventAsync(canceled.Id), None);
            await h.Observer.OnOrderPaymentEventAsync(await h.OrderSucceededEventAsync(overpaid.Id), None);
            h.Time.Advance(ReconcileHarness.Grace + TimeSpan.FromSeconds(1));
        }

        await h.Reconciler().RunAsync(None);
        outcomes.AddRange(await h.ProcessQueueAsync());

        Assert.Equal(2, outcomes.Count(o => o == RefundProcessingOutcome.Created));
        var refunds = await h.Admin.GetRefundsAsync();
        Assert.Equal(2, refunds.Count);
        var cancelRefund = Assert.Single(refunds, r => r.OrderId == canceled.Id);
        Assert.Equal((AnomalyRefundRequestIds.For(canceled.Id, AnomalyKind.PaidAfterCancel, canceled.ChargeIds[0]), 1200L), (cancelRefund.RequestId, cancelRefund.Amount));
        var excessRefund = Assert.Single(refunds, r => r.OrderId == overpaid.Id);
        Assert.Equal(1000, excessRefund.Amount);
        Assert.Contains(excessRefund.Charge, overpaid.ChargeIds);
        Assert.DoesNotContain(refunds, r => r.OrderId == normal.Id);
        foreach (var refund in refunds)
        {
            Assert.Equal([refund.RefundId], (await h.Ledger.GetRequestAsync(refund.RequestId!, None))!.RefundIds);
        }
    }

    [Fact]
    public async Task A_canceled_order_paid_twice_is_still_refunded_in_full_after_its_first_refund_turned_its_status_to_refunded()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.AutoRefund);
        var canceled = await h.Admin.SeedOrderAsync(1200, [600, 600], status: "canceled");
        await h.Observer.OnOrderPaymentEventAsync(await h.OrderSucceededEventAsync(canceled.Id), None);
        // The first planned refund is made (say the plan's other message was lost); Ping++ now says status refunded.
        var plan = PaymentAnomalyRules.Detect(canceled.Order)!.ToRefundRequests();
        await h.SubmitAsync(canceled.Id, plan[0].RequestId, plan[0].Charge, plan[0].ChargeAmount);
        await h.Admin.SettleAsync(canceled.Id);
        Assert.Equal("refunded", (await h.Client.RetrieveOrderAsync(canceled.Id)).Status);

        var summary = await h.Reconciler().RunAsync(None);

        Assert.Equal(1, summary.AnomalyRefundsEnqueued);
        var queued = Assert.Single(await h.QueuedAsync());
        Assert.Equal((plan[1].RequestId, plan[1].Charge, 600L), (queued.RequestId, queued.Charge, queued.ChargeAmount!.Value));
    }

    [Fact]
    public async Task Abnormal_payments_under_report_are_recorded_and_nothing_is_refunded()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.Report);
        var canceled = await h.Admin.SeedOrderAsync(800, status: "canceled");
        var overpaid = await h.Admin.SeedOrderAsync(500, [500, 300]);
        await h.Observer.OnOrderPaymentEventAsync(await h.OrderSucceededEventAsync(canceled.Id), None);
        await h.Observer.OnOrderPaymentEventAsync(await h.OrderSucceededEventAsync(overpaid.Id), None);

        var summary = await h.Reconciler().RunAsync(None);

        Assert.Equal(2, summary.Anomalies);
        Assert.Equal(0, summary.AnomalyRefundsEnqueued);
        var cancelRecord = Assert.Single(await h.Anomalies.ListAsync(canceled.Id, None));
        Assert.Equal((AnomalyKind.PaidAfterCancel, 800L, "reported"), (cancelRecord.Kind, cancelRecord.AmountToRefund, cancelRecord.Outcome));
        var overRecord = Assert.Single(await h.Anomalies.ListAsync(overpaid.Id, None));
        Assert.Equal((AnomalyKind.Overpaid, 300L), (overRecord.Kind, overRecord.AmountToRefund));
        Assert.Empty(await h.QueuedAsync());
        Assert.Empty(await h.Admin.GetRefundsAsync());
        Assert.Empty((await h.Ledger.ListOpenWorkAsync(100, null, None)).Items);
    }

    [Fact]
    public async Task Auto_refund_leaves_an_anomaly_whose_order_was_refunded_elsewhere_for_a_person()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.AutoRefund);
        var overpaid = await h.Admin.SeedOrderAsync(1000, [1000, 1000]);
        await h.Admin.DashboardRefundAsync(overpaid.Id, overpaid.ChargeIds[1], 1000);
        await h.Observer.OnOrderPaymentEventAsync(await h.OrderSucceededEventAsync(overpaid.Id), None);

        var summary = await h.Reconciler().RunAsync(None);

        Assert.Equal(0, summary.AnomalyRefundsEnqueued);
        Assert.StartsWith("needs review", Assert.Single(await h.Anomalies.ListAsync(overpaid.Id, None)).Outcome);
        Assert.Empty(await h.QueuedAsync());
    }

    [Fact]
    public async Task A_bounded_run_checks_at_most_its_budget_and_the_next_runs_continue_with_the_rest()
    {
        await using var h = await ReconcileHarness.StartAsync();
        var refunds = new List<PingppRefund>();
        for (var i = 0; i < 5; i++)
        {
            var order = await h.Admin.SeedOrderAsync(100 + i);
            refunds.AddRange(await h.SubmitAsync(order.Id, $"req-budget-{i}"));
        }

        await h.Admin.SettleAsync();
        var first = await h.Reconciler(maxOrders: 2).RunAsync(None);
        var second = await h.Reconciler(maxOrders: 2).RunAsync(None);
        var third = await h.Reconciler(maxOrders: 2).RunAsync(None);

        Assert.Equal(2, first.OrdersChecked);
        Assert.True(first.BudgetExhausted);
        Assert.Equal(2, second.OrdersChecked);
        Assert.Equal(1, third.OrdersChecked);
        foreach (var refund in refunds)
        {
            Assert.Equal(PingppRefundStatus.Succeeded, (await h.Ledger.GetRefundAsync(refund.Id, None))!.Status);
        }

        Assert.Equal(5, first.RefundsUpdated + second.RefundsUpdated + third.RefundsUpdated);
    }

    [Fact]
    public async Task The_cursor_rotates_so_work_that_stays_open_does_not_starve_the_rest()
    {
        await using var h = await ReconcileHarness.StartAsync();
        var orders = new List<SeededOrder>();
        for (var i = 0; i < 4; i++)
        {
            var order = await h.Admin.SeedOrderAsync(100 + i);
            orders.Add(order);
            await h.SubmitAsync(order.Id, $"req-rotate-{i}");
        }

        // Nothing settles: every order stays open. Four runs of two must still reach every order twice.
        var checkedCount = 0;
        for (var i = 0; i < 4; i++)
        {
            checkedCount += (await h.Reconciler(maxOrders: 2).RunAsync(None)).OrdersChecked;
        }

        Assert.Equal(8, checkedCount);
        await h.Admin.SettleAsync(orders[3].Id);
        await h.Admin.SettleAsync(orders[0].Id);
        var updated = 0;
        for (var i = 0; i < 2; i++)
        {
            updated += (await h.Reconciler(maxOrders: 2).RunAsync(None)).RefundsUpdated;
        }

        Assert.Equal(2, updated);
    }

    [Fact]
    public async Task Overlapping_runs_neither_double_apply_nor_double_enqueue()
    {
        await using var h = await ReconcileHarness.StartAsync();
        var settled = new List<PingppRefund>();
        var stuck = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var order = await h.Admin.SeedOrderAsync(300 + i);
            settled.AddRange(await h.SubmitAsync(order.Id, $"req-overlap-ok-{i}"));
            var crashed = await h.RecordRequestAsync(order.Id, $"req-overlap-stuck-{i}", order.ChargeIds[0], 10);
            await h.Ledger.TryBeginSubmitAsync(crashed.RequestId, h.Time.GetUtcNow(), TimeSpan.FromSeconds(30), None);
            stuck.Add(crashed.RequestId);
        }

        await h.Admin.SettleAsync();
        h.Time.Advance(ReconcileHarness.Grace + TimeSpan.FromSeconds(1));

        var runs = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => h.Reconciler(maxConcurrency: 2).RunAsync(None))));

        Assert.Equal(settled.Count, runs.Sum(r => r.RefundsUpdated));
        Assert.Equal(stuck.Count, runs.Sum(r => r.ReEnqueued));
        var queued = await h.QueuedAsync();
        Assert.Equal(stuck.Order(), queued.Select(q => q.RequestId).Order());
        foreach (var refund in settled)
        {
            Assert.Equal(PingppRefundStatus.Succeeded, (await h.Ledger.GetRefundAsync(refund.Id, None))!.Status);
        }
    }

    [Fact]
    public async Task Status_and_amount_disagreements_are_recorded_once_as_discrepancies_with_both_views()
    {
        await using var h = await ReconcileHarness.StartAsync();
        var order = await h.Admin.SeedOrderAsync(700);
        await h.Admin.SetFaultsAsync(new Dictionary<string, FaultSpec> { [FaultInjector.RefundFailure] = new() { Next = 1, OrderId = order.Id } });
        var refund = Assert.Single(await h.SubmitAsync(order.Id, "req-conflict-1"));
        // A (forged or mistaken) success report reaches the ledger, then Ping++ fails the refund.
        await h.Ledger.ApplyRefundAsync(refund with { Status = PingppRefundStatus.Succeeded, Succeed = true }, order.Id, None);
        await h.Admin.SettleAsync(order.Id);
        await h.Ledger.MarkOrderForReconciliationAsync(order.Id, "order.refunded", None);

        var first = await h.Reconciler().RunAsync(None);
        await h.Ledger.MarkOrderForReconciliationAsync(order.Id, "order.refunded", None);
        await h.Reconciler().RunAsync(None);

        Assert.True(first.Discrepancies >= 1);
        var rows = await h.Discrepancies.ListAsync(order.Id, None);
        var conflict = Assert.Single(rows, r => r.Kind == DiscrepancyKind.StatusConflict);
        Assert.Equal(refund.Id, conflict.RefundId);
        Assert.StartsWith("succeeded", conflict.LedgerView);
        Assert.StartsWith("failed", conflict.PingppView);
        Assert.Equal(rows.Count, rows.Select(r => (r.Kind, r.RefundId)).Distinct().Count());
        Assert.Equal(PingppRefundStatus.Succeeded, (await h.Ledger.GetRefundAsync(refund.Id, None))!.Status);
    }
}
