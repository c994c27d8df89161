using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Webhooks;

namespace Refunds.IntegrationTests;

public class WebhookReceiverTests
{
    internal const string OrderId = "2011609290000001291";

    internal static async Task<string> SubmittedRequestWithPendingRefundAsync(RefundLedger ledger, string requestId, string refundId)
    {
        await ledger.CreateRequestAsync(new RefundRequestRecord { RequestId = requestId, OrderId = OrderId, Description = "退款" }, CancellationToken.None);
        await ledger.TryBeginSubmitAsync(requestId, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5), CancellationToken.None);
        await ledger.RecordSubmittedAsync(requestId, [new PingppRefund
        {
            Id = refundId,
            Amount = 300,
            Status = PingppRefundStatus.Pending,
            Charge = "ch_L8qn10mLmr1GS8e5OODmHaL4",
            Metadata = new Dictionary<string, string> { [PingppMetadata.RequestId] = requestId },
        }], CancellationToken.None);
        return refundId;
    }

    [Fact]
    public async Task Fifty_concurrent_deliveries_store_one_event_and_change_the_ledger_once()
    {
        using var signer = new TestSigner();
        using var h = ReceiverHarness.Create([signer.PublicKeyPem]);
        var refundId = await SubmittedRequestWithPendingRefundAsync(h.Ledger, "req_fifty", "re_fifty000000000000000000001");
        var body = Events.RefundSucceeded("evt_fifty", refundId, "req_fifty");
        var signature = signer.Sign(body);

        var receipts = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => h.Receiver.ReceiveAsync(body, signature, CancellationToken.None))));

        Assert.All(receipts, r => Assert.Equal(200, r.StatusCode));
        Assert.Single(receipts, r => !r.WasDuplicate);
        Assert.Single(receipts, r => r.LedgerChanged);
        var refund = await h.Ledger.GetRefundAsync(refundId, CancellationToken.None);
        Assert.Equal((PingppRefundStatus.Succeeded, "4200000001"), (refund!.Status, refund.TransactionNo));
        Assert.Equal(RefundRequestState.Succeeded, (await h.Ledger.GetRequestAsync("req_fifty", CancellationToken.None))!.State);
        Assert.True((await h.Store.GetAsync("evt_fifty", CancellationToken.None))!.Applied);
    }

    [Fact]
    public async Task Duplicate_after_a_failed_apply_gets_applied()
    {
        using var signer = new TestSigner();
        var names = ReceiverHarness.Tables.Unique();
        using var broken = ReceiverHarness.Create([signer.PublicKeyPem], names: names, ledgerStorage: Azurite.Unreachable());
        using var healthy = ReceiverHarness.Create([signer.PublicKeyPem], names: names);
        var refundId = await SubmittedRequestWithPendingRefundAsync(healthy.Ledger, "req_retry", "re_retry0000000000000000001");
        var body = Events.RefundSucceeded("evt_retry", refundId, "req_retry");
        var signature = signer.Sign(body);

        var failed = await broken.Receiver.ReceiveAsync(body, signature, CancellationToken.None);
        Assert.Equal((WebhookOutcome.RetryLater, 500), (failed.Outcome, failed.StatusCode));
        Assert.False((await healthy.Store.GetAsync("evt_retry", CancellationToken.None))!.Applied);
        Assert.Equal(PingppRefundStatus.Pending, (await healthy.Ledger.GetRefundAsync(refundId, CancellationToken.None))!.Status);

        var redelivered = await healthy.Receiver.ReceiveAsync(body, signature, CancellationToken.None);
        Assert.Equal(WebhookOutcome.Applied, redelivered.Outcome);
        Assert.True(redelivered.WasDuplicate);
        Assert.True(redelivered.LedgerChanged);
        Assert.Equal(PingppRefundStatus.Succeeded, (await healthy.Ledger.GetRefundAsync(refundId, CancellationToken.None))!.Status);
        Assert.True((await healthy.Store.GetAsync("evt_retry", CancellationToken.None))!.Applied);

        var third = await healthy.Receiver.ReceiveAsync(body, signature, CancellationToken.None);
        Assert.Equal(WebhookOutcome.Duplicate, third.Outcome);
        Assert.False(third.LedgerChanged);
    }

    [Fact]
    public async Task Storage_unavailable_answers_retry_later_then_succeeds_when_it_is_back()
    {
        using var signer = new TestSigner();
        var names = ReceiverHarness.Tables.Unique();
        using var down = ReceiverHarness.Create([signer.PublicKeyPem], names: names, eventStorage: Azurite.Unreachable(), ledgerStorage: Azurite.Unreachable());
        using var up = ReceiverHarness.Create([signer.PublicKeyPem], names: names);
        var body = Events.OrderRefunded("evt_down", OrderId, 40);
        var signature = signer.Sign(body);

        var first = await down.Receiver.ReceiveAsync(body, signature, CancellationToken.None);
        Assert.Equal((WebhookOutcome.RetryLater, 500), (first.Outcome, first.StatusCode));
        Assert.Null(await up.Store.GetAsync("evt_down", CancellationToken.None));

        var second = await up.Receiver.ReceiveAsync(body, signature, CancellationToken.None);
        Assert.Equal(WebhookOutcome.Applied, second.Outcome);
        Assert.False(second.WasDuplicate);
    }

    [Fact]
    public async Task Bad_signature_is_unauthorized_and_stores_nothing()
    {
        using var signer = new TestSigner();
        using var other = new TestSigner();
        using var h = ReceiverHarness.Create([signer.PublicKeyPem]);
        var body = Events.Unknown("evt_forged", livemode: true);

        var forged = await h.Receiver.ReceiveAsync(body, other.Sign(body), CancellationToken.None);
        var missing = await h.Receiver.ReceiveAsync(body, null, CancellationToken.None);

        Assert.Equal((WebhookOutcome.Unauthorized, 401), (forged.Outcome, forged.StatusCode));
        Assert.Equal(WebhookOutcome.Unauthorized, missing.Outcome);
        Assert.Null(await h.Store.GetAsync("evt_forged", CancellationToken.None));
    }

    [Theory]
    [InlineData(false, false, WebhookOutcome.Unauthorized)]
    [InlineData(true, false, WebhookOutcome.Stored)]
    [InlineData(true, true, WebhookOutcome.Unauthorized)]
    public async Task Unsigned_events_pass_only_with_the_flag_and_only_in_test_mode(bool allowUnsigned, bool livemode, WebhookOutcome expected)
    {
        using var signer = new TestSigner();
        using var h = ReceiverHarness.Create([signer.PublicKeyPem], allowUnsigned);
        var body = Events.Unknown("evt_unsigned", livemode);

        var receipt = await h.Receiver.ReceiveAsync(body, "", CancellationToken.None);

        Assert.Equal(expected, receipt.Outcome);
        var stored = await h.Store.GetAsync("evt_unsigned", CancellationToken.None);
        Assert.Equal(expected == WebhookOutcome.Stored, stored is not null);
        Assert.Null(stored?.SignatureHeader);
    }

    [Fact]
    public async Task Unsigned_flag_does_not_excuse_a_wrong_signature()
    {
        using var signer = new TestSigner();
        using var other = new TestSigner();
        using var h = ReceiverHarness.Create([signer.PublicKeyPem], allowUnsigned: true);
        var body = Events.Unknown("evt_wrongsig", livemode: false);
        Assert.Equal(WebhookOutcome.Unauthorized, (await h.Receiver.ReceiveAsync(body, other.Sign(body), CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task Verified_body_that_is_not_an_event_is_a_bad_request_with_a_reason()
    {
        using var signer = new TestSigner();
        using var h = ReceiverHarness.Create([signer.PublicKeyPem]);
        var body = """{"id":"ch_1","object":"charge"}"""u8.ToArray();

        var receipt = await h.Receiver.ReceiveAsync(body, signer.Sign(body), CancellationToken.None);

        Assert.Equal((WebhookOutcome.BadRequest, 400, "object is not \"event\""), (receipt.Outcome, receipt.StatusCode, receipt.Reason));
    }

    [Fact]
    public async Task Body_over_the_limit_is_refused_before_verification()
    {
        using var signer = new TestSigner();
        using var h = ReceiverHarness.Create([signer.PublicKeyPem]);
        var body = Events.Unknown("evt_huge", livemode: true, padding: WebhookOptions.MaxBodyBytesLimit);
        var receipt = await h.Receiver.ReceiveAsync(body, signer.Sign(body), CancellationToken.None);
        Assert.Equal((WebhookOutcome.PayloadTooLarge, 413), (receipt.Outcome, receipt.StatusCode));
    }

    [Fact]
    public async Task Charge_succeeded_is_stored_and_handed_to_the_payment_observer()
    {
        using var h = ReceiverHarness.Create([VectorFiles.Text("webhook1_pingpp_public_key.pem")]);
        var body = VectorFiles.Bytes("webhook1_body.json");
        var signature = VectorFiles.Text("webhook1_signature.b64");

        var receipt = await h.Receiver.ReceiveAsync(body, signature, CancellationToken.None);
        var again = await h.Receiver.ReceiveAsync(body, signature, CancellationToken.None);

        Assert.Equal(WebhookOutcome.Applied, receipt.Outcome);
        Assert.Equal(WebhookOutcome.Duplicate, again.Outcome);
        var seen = Assert.Single(h.Observer.Events);
        Assert.Equal("ch_bq9IHKnn6GnLzsS0swOujr4x", seen.ChargeId);
    }

    [Fact]
    public async Task Order_refunded_records_amounts_and_opens_reconciliation_work()
    {
        using var signer = new TestSigner();
        using var h = ReceiverHarness.Create([signer.PublicKeyPem]);
        var body = Events.OrderRefunded("evt_order_refunded", "2001708140000017551", 60);

        var receipt = await h.Receiver.ReceiveAsync(body, signer.Sign(body), CancellationToken.None);

        Assert.Equal(WebhookOutcome.Applied, receipt.Outcome);
        var order = (await h.Ledger.ListOrderAsync("2001708140000017551", CancellationToken.None)).Order!;
        Assert.Equal((60L, true), (order.AmountRefunded!.Value, order.NeedsReconciliation));
        var open = await h.Ledger.ListOpenWorkAsync(10, null, CancellationToken.None);
        Assert.Equal("2001708140000017551", Assert.Single(open.Items).OrderId);
    }

    [Fact]
    public async Task Refund_event_for_an_unknown_refund_without_our_request_id_is_kept_as_external()
    {
        using var signer = new TestSigner();
        using var h = ReceiverHarness.Create([signer.PublicKeyPem]);
        var body = Events.RefundSucceeded("evt_external", "re_dashboard0000000000000001", requestId: null);

        var receipt = await h.Receiver.ReceiveAsync(body, signer.Sign(body), CancellationToken.None);

        Assert.Equal(WebhookOutcome.Applied, receipt.Outcome);
        var refund = await h.Ledger.GetRefundAsync("re_dashboard0000000000000001", CancellationToken.None);
        Assert.True(refund!.External);
        Assert.Null(refund.OrderId);
        var open = Assert.Single((await h.Ledger.ListOpenWorkAsync(10, null, CancellationToken.None)).Items);
        Assert.Equal(("re_dashboard0000000000000001", "ch_L8qn10mLmr1GS8e5OODmHaL4"), (open.RefundId, open.ChargeId));
    }
    [Theory]
    [InlineData("refund.succeeded")]
    [InlineData("order.refund.succeeded")]
    public async Task A_refund_success_event_of_either_name_settles_the_request(string type)
    {
        using var signer = new TestSigner();
        using var h = ReceiverHarness.Create([signer.PublicKeyPem]);
        var refundId = await SubmittedRequestWithPendingRefundAsync(h.Ledger, "req_kind", "re_kind00000000000000000001");
        var body = Events.RefundEvent(type, "evt_kind", refundId, "req_kind");

        var receipt = await h.Receiver.ReceiveAsync(body, signer.Sign(body), CancellationToken.None);

        Assert.Equal((WebhookOutcome.Applied, true), (receipt.Outcome, receipt.LedgerChanged));
        Assert.Equal(PingppRefundStatus.Succeeded, (await h.Ledger.GetRefundAsync(refundId, CancellationToken.None))!.Status);
        Assert.Equal(RefundRequestState.Succeeded, (await h.Ledger.GetRequestAsync("req_kind", CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Refund_failed_fails_the_request_with_the_failure_code_and_message()
    {
        using var signer = new TestSigner();
        using var h = ReceiverHarness.Create([signer.PublicKeyPem]);
        var refundId = await SubmittedRequestWithPendingRefundAsync(h.Ledger, "req_fail", "re_fail00000000000000000001");
        var body = Events.RefundEvent("refund.failed", "evt_fail", refundId, "req_fail", status: "failed");

        var receipt = await h.Receiver.ReceiveAsync(body, signer.Sign(body), CancellationToken.None);

        Assert.Equal((WebhookOutcome.Applied, true), (receipt.Outcome, receipt.LedgerChanged));
        var refund = (await h.Ledger.GetRefundAsync(refundId, CancellationToken.None))!;
        Assert.Equal((PingppRefundStatus.Failed, "REFUND_BALANCE_NOT_ENOUGH", "退款余额不足"), (refund.Status, refund.FailureCode, refund.FailureMessage));
        Assert.Equal(RefundRequestState.Failed, (await h.Ledger.GetRequestAsync("req_fail", CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Refund_failed_after_success_never_moves_the_request_and_is_flagged_as_a_conflict()
    {
        using var signer = new TestSigner();
        using var h = ReceiverHarness.Create([signer.PublicKeyPem]);
        var refundId = await SubmittedRequestWithPendingRefundAsync(h.Ledger, "req_late", "re_late00000000000000000001");
        var succeeded = Events.RefundEvent("refund.succeeded", "evt_late_ok", refundId, "req_late");
        Assert.Equal(WebhookOutcome.Applied, (await h.Receiver.ReceiveAsync(succeeded, signer.Sign(succeeded), CancellationToken.None)).Outcome);

        // A stale or contradictory failure: the event type is Ping++'s word, but succeeded stays succeeded.
        var failed = Events.RefundEvent("refund.failed", "evt_late_fail", refundId, "req_late", status: "succeeded");
        var receipt = await h.Receiver.ReceiveAsync(failed, signer.Sign(failed), CancellationToken.None);

        Assert.Equal(WebhookOutcome.Applied, receipt.Outcome);
        var refund = (await h.Ledger.GetRefundAsync(refundId, CancellationToken.None))!;
        Assert.Equal((PingppRefundStatus.Succeeded, true), (refund.Status, refund.StatusConflict));
        Assert.Equal(RefundRequestState.Succeeded, (await h.Ledger.GetRequestAsync("req_late", CancellationToken.None))!.State);
    }

    [Fact]
    public async Task A_refund_event_stored_as_applied_by_an_older_version_without_being_applied_is_applied_once_on_redelivery()
    {
        using var signer = new TestSigner();
        using var h = ReceiverHarness.Create([signer.PublicKeyPem]);
        var refundId = await SubmittedRequestWithPendingRefundAsync(h.Ledger, "req_old", "re_old000000000000000000001");
        var body = Events.RefundEvent("order.refund.succeeded", "evt_old", refundId, "req_old");
        var signature = signer.Sign(body);
        // What an older version stored for a type it did not know: Applied = true, nothing applied, no AppliedAs.
        await h.Store.AddAsync(new StoredWebhookEvent
        {
            EventId = "evt_old",
            Type = "order.refund.succeeded",
            Body = body,
            SignatureHeader = signature,
            RefundId = refundId,
            Applied = true,
            AppliedAt = DateTimeOffset.UtcNow,
        }, CancellationToken.None);

        var redelivered = await h.Receiver.ReceiveAsync(body, signature, CancellationToken.None);
        var again = await h.Receiver.ReceiveAsync(body, signature, CancellationToken.None);

        Assert.Equal((WebhookOutcome.Applied, true, true), (redelivered.Outcome, redelivered.WasDuplicate, redelivered.LedgerChanged));
        Assert.Equal(RefundRequestState.Succeeded, (await h.Ledger.GetRequestAsync("req_old", CancellationToken.None))!.State);
        Assert.Equal(WebhookOutcome.Duplicate, again.Outcome);
        Assert.Equal(WebhookEventStore.AppliedAsRefund, (await h.Store.GetAsync("evt_old", CancellationToken.None))!.AppliedAs);
    }
}
