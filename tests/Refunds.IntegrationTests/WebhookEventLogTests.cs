using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Refunds.Core.Ledger;
using Refunds.Core.Operations;
using Refunds.Core.Webhooks;

namespace Refunds.IntegrationTests;

/// <summary>The webhook event log (issue 23.6) on real tables: the time index, the re-verified view, re-apply.</summary>
public class WebhookEventLogTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Events_list_newest_first_across_partitions_and_pages_return_each_event_once()
    {
        using var signer = new TestSigner();
        using var h = ReceiverHarness.Create([signer.PublicKeyPem]);
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var id = $"evt_list{i:D2}";
            var body = Events.Unknown(id, livemode: true);
            Assert.Equal(WebhookOutcome.Stored, (await h.Receiver.ReceiveAsync(body, signer.Sign(body), None)).Outcome);
            ids.Add(id);
            h.Time.Advance(TimeSpan.FromMinutes(1));
        }

        var seen = new List<string>();
        string? continuation = null;
        var pages = 0;
        do
        {
            var page = await Log(h).ListAsync(new WebhookEventQuery(null, null, null, null, 3, continuation), None);
            seen.AddRange(page.Items.Select(e => e.EventId));
            continuation = page.Continuation;
            pages++;
        }
        while (continuation is not null);

        Assert.Equal(Enumerable.Reverse(ids), seen);
        Assert.Equal(3, pages);
        Assert.True(ids.Select(WebhookEventStore.PartitionKeyFor).Distinct().Count() > 1, "the events should span several partitions");
    }

    [Fact]
    public async Task Type_status_and_the_received_window_filter_the_list()
    {
        using var signer = new TestSigner();
        using var h = ReceiverHarness.Create([signer.PublicKeyPem]);
        var start = h.Time.GetUtcNow();
        for (var i = 0; i < 4; i++)
        {
            var body = Events.Unknown($"evt_win{i}", livemode: true);
            await h.Receiver.ReceiveAsync(body, signer.Sign(body), None);
            h.Time.Advance(TimeSpan.FromMinutes(10));
        }

        await StorePendingAsync(h, signer, "evt_win_pending", "re_win00000000000000000001", start.AddMinutes(15));

        var window = await Log(h).ListAsync(new WebhookEventQuery(null, null, start.AddMinutes(10), start.AddMinutes(30), 50, null), None);
        var refunds = await Log(h).ListAsync(new WebhookEventQuery("refund.succeeded", null, null, null, 50, null), None);
        var pending = await Log(h).ListUnappliedAsync(null, null, 50, null, None);
        var ignored = await Log(h).ListAsync(new WebhookEventQuery(null, WebhookApplyStatus.Ignored, null, null, 50, null), None);

        // since inclusive, until exclusive: evt_win1 (10 min), the pending one (15), evt_win2 (20); not evt_win3 (30).
        Assert.Equal(["evt_win2", "evt_win_pending", "evt_win1"], window.Items.Select(e => e.EventId));
        Assert.Equal(["evt_win_pending"], refunds.Items.Select(e => e.EventId));
        var unapplied = Assert.Single(pending.Items);
        Assert.Equal(("evt_win_pending", WebhookApplyStatus.Pending, "re_win00000000000000000001"), (unapplied.EventId, unapplied.ApplyStatus, unapplied.RefundId));
        Assert.Equal(4, ignored.Items.Count);
        Assert.All(ignored.Items, e => Assert.Equal(("summary.daily.available", WebhookEventStore.AppliedAsNothing), (e.Type, e.AppliedAs)));
    }

    [Fact]
    public async Task A_continuation_that_was_not_handed_out_is_refused()
    {
        using var h = ReceiverHarness.Create([new TestSigner().PublicKeyPem]);

        await Assert.ThrowsAsync<InvalidContinuationException>(() => Log(h).ListAsync(new WebhookEventQuery(null, null, null, null, 5, "bm90LW91cnM"), None));
        await Assert.ThrowsAsync<InvalidContinuationException>(() => Log(h).ListAsync(new WebhookEventQuery(null, null, null, null, 5, "%%%"), None));
    }

    [Fact]
    public async Task The_view_has_the_raw_bytes_and_reverifies_the_stored_signature_now()
    {
        using var signer = new TestSigner();
        using var other = new TestSigner();
        using var h = ReceiverHarness.Create([signer.PublicKeyPem]);
        var body = Events.RefundSucceeded("evt_view1", "re_view000000000000000000001", null);
        await h.Receiver.ReceiveAsync(body, signer.Sign(body), None);
        var forged = Events.RefundSucceeded("evt_view2", "re_view000000000000000000002", null);
        await h.Store.AddAsync(new StoredWebhookEvent { EventId = "evt_view2", Type = "refund.succeeded", Body = forged, SignatureHeader = other.Sign(forged) }, None);

        var view = await Log(h).GetAsync("evt_view1", None);
        var forgedView = await Log(h).GetAsync("evt_view2", None);

        Assert.NotNull(view);
        Assert.Equal(Encoding.UTF8.GetString(body), view.RawBody);
        Assert.True(view.SignatureVerified);
        Assert.Equal((WebhookApplyStatus.Applied, WebhookEventStore.AppliedAsRefund), (view.Entry.ApplyStatus, view.Entry.AppliedAs));
        Assert.False(forgedView!.SignatureVerified);
        Assert.Null(await Log(h).GetAsync("evt_unknown", None));
    }

    [Fact]
    public async Task Reapply_applies_a_pending_event_once_records_who_and_why_and_a_second_reapply_changes_nothing()
    {
        using var signer = new TestSigner();
        using var h = ReceiverHarness.Create([signer.PublicKeyPem]);
        var refundId = await WebhookReceiverTests.SubmittedRequestWithPendingRefundAsync(h.Ledger, "req_reapply", "re_reapply0000000000000000001");
        await StorePendingAsync(h, signer, "evt_reapply", refundId, h.Time.GetUtcNow(), "req_reapply");

        var first = await Log(h).ReapplyAsync("evt_reapply", "operator:key:master", "ledger was down", None);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var second = await Log(h).ReapplyAsync("evt_reapply", "operator:key:ops", "checking", None);

        Assert.Equal((WebhookReapplyResult.Applied, WebhookApplyStatus.Applied, "refund", true), (first!.Result, first.ApplyStatus, first.AppliedAs, first.LedgerChanged));
        Assert.Equal(RefundRequestState.Succeeded, (await h.Ledger.GetRequestAsync("req_reapply", None))!.State);
        Assert.Equal((WebhookReapplyResult.AlreadyApplied, false), (second!.Result, second.LedgerChanged));
        Assert.Empty((await Log(h).ListUnappliedAsync(null, null, 50, null, None)).Items);
        var view = await Log(h).GetAsync("evt_reapply", None);
        Assert.Equal(
            [("operator:key:master", "ledger was down", "applied"), ("operator:key:ops", "checking", "already_applied")],
            view!.Reapplies.Select(r => (r.Actor, r.Reason, r.Result)));
        var listed = Assert.Single((await Log(h).ListAsync(new WebhookEventQuery(null, null, null, null, 50, null), None)).Items);
        Assert.Equal(WebhookApplyStatus.Applied, listed.ApplyStatus);
    }

    [Fact]
    public async Task Reapply_of_an_event_whose_signature_no_longer_verifies_is_not_applied()
    {
        using var signer = new TestSigner();
        using var rotated = new TestSigner();
        using var h = ReceiverHarness.Create([rotated.PublicKeyPem]);
        await StorePendingAsync(h, signer, "evt_rotated", "re_rotated0000000000000000001", h.Time.GetUtcNow());

        var outcome = await Log(h).ReapplyAsync("evt_rotated", "operator:key:master", "try", None);

        Assert.Equal((WebhookReapplyResult.NotVerified, WebhookApplyStatus.Pending), (outcome!.Result, outcome.ApplyStatus));
        Assert.Null(await Log(h).ReapplyAsync("evt_nothing", "operator:key:master", "try", None));
    }

    /// <summary>An event stored by a delivery whose apply failed: signed, stored with Applied = false.</summary>
    internal static async Task StorePendingAsync(ReceiverHarness h, TestSigner signer, string eventId, string refundId, DateTimeOffset receivedAt, string? requestId = null)
    {
        var body = Events.RefundSucceeded(eventId, refundId, requestId);
        var added = await h.Store.AddAsync(new StoredWebhookEvent
        {
            EventId = eventId,
            Type = "refund.succeeded",
            Livemode = true,
            Body = body,
            SignatureHeader = signer.Sign(body),
            ReceivedAt = receivedAt,
            RefundId = refundId,
            RequestId = requestId,
        }, None);
        Assert.True(added.Added);
    }

    private static WebhookEventLog Log(ReceiverHarness h)
        => new(h.Store, h.Receiver, h.Verifier, h.Time, NullLogger<WebhookEventLog>.Instance);
}
