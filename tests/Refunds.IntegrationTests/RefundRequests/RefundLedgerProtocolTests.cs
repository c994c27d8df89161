using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Refunds.IntegrationTests.RefundRequests;

using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;

/// <summary>The ledger extensions the processor's protocol relies on (Azurite).</summary>
public sealed class RefundLedgerProtocolTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 28, 8, 0, 0, TimeSpan.Zero));
    private readonly RefundLedger _ledger;

    public RefundLedgerProtocolTests()
        => _ledger = new RefundLedger(Azurite.Tables(), _time, NullLogger<RefundLedger>.Instance, Azurite.UniqueTable("plled"), Azurite.UniqueTable("plidx"));

    private static RefundRequestRecord Request(string id, string order = "2011609290000000101", string fingerprint = "fp1") => new()
    {
        RequestId = id,
        OrderId = order,
        Description = "d",
        Charge = "ch_1",
        ChargeAmount = 100,
        Fingerprint = fingerprint,
    };

    [Fact]
    public async Task Only_a_send_started_by_the_claim_holder_marks_the_request_uncertain_and_the_next_claim_must_look_up()
    {
        await _ledger.CreateRequestAsync(Request("p1"), Ct);
        var claim = await _ledger.TryBeginSubmitAsync("p1", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        Assert.False(claim.MayHaveReachedPingpp);

        Assert.Equal(RequestUpdateOutcome.NotAllowed, (await _ledger.RecordSendStartingAsync("p1", claim.Request!.Attempt + 1, _time.GetUtcNow(), Ct)).Outcome);
        var mark = await _ledger.RecordSendStartingAsync("p1", claim.Request.Attempt, _time.GetUtcNow(), Ct);
        Assert.Equal((RequestUpdateOutcome.Updated, true), (mark.Outcome, mark.Request!.Uncertain));

        // Crash: the lease expires, the next claim sees the uncertainty and when it started.
        _time.Advance(TimeSpan.FromMinutes(3));
        var reclaim = await _ledger.TryBeginSubmitAsync("p1", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        Assert.True(reclaim.MayHaveReachedPingpp);
        Assert.Equal(mark.Request.LastSendStartedAt, reclaim.Request!.LastSendStartedAt);

        // The old claim holder can no longer send or release.
        Assert.Equal(RequestUpdateOutcome.NotAllowed, (await _ledger.RecordSendStartingAsync("p1", claim.Request.Attempt, _time.GetUtcNow(), Ct)).Outcome);
        Assert.Equal(RequestUpdateOutcome.NotAllowed, (await _ledger.ReleaseClaimAsync("p1", claim.Request.Attempt, true, "late", Ct)).Outcome);
    }

    [Fact]
    public async Task A_claim_to_send_at_once_records_the_write_ahead_unless_an_earlier_create_is_in_doubt()
    {
        var created = await _ledger.CreateRequestAsync(Request("p_send"), Ct);
        var claim = await _ledger.TryBeginSendAsync(created.Request, _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        Assert.Equal((SubmitClaimOutcome.Claimed, true, false), (claim.Outcome, claim.SendMarked, claim.MayHaveReachedPingpp));
        Assert.Equal((true, _time.GetUtcNow()), (claim.Request!.Uncertain, claim.Request.LastSendStartedAt));
        var stored = await _ledger.GetRequestAsync("p_send", Ct);
        Assert.Equal((RefundRequestState.Submitting, true, _time.GetUtcNow()), (stored!.State, stored.Uncertain, stored.LastSendStartedAt));

        // The holder crashed after the write-ahead: the next claim must look up first and mark its own send later.
        var sentAt = claim.Request.LastSendStartedAt;
        _time.Advance(TimeSpan.FromMinutes(3));
        var reclaim = await _ledger.TryBeginSendAsync(stored, _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        Assert.Equal((SubmitClaimOutcome.Claimed, false, true), (reclaim.Outcome, reclaim.SendMarked, reclaim.MayHaveReachedPingpp));
        Assert.Equal(sentAt, reclaim.Request!.LastSendStartedAt);

        // A rate-limited create of the claim that marked its own send clears the uncertainty it set.
        await _ledger.CreateRequestAsync(Request("p_send2"), Ct);
        var own = await _ledger.TryBeginSendAsync(Request("p_send2"), _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        var released = await _ledger.ReleaseClaimAsync("p_send2", own.Request!.Attempt, definitelyNotSent: true, "create: RateLimited", Ct);
        Assert.Equal((RefundRequestState.Received, false), (released.Request!.State, released.Request.Uncertain));
    }

    [Fact]
    public async Task A_create_answer_arriving_after_webhooks_closed_the_request_reopens_the_order_for_its_unreported_refund()
    {
        const string order = "2011609290000000103";
        var created = await _ledger.CreateRequestAsync(Request("p_late", order), Ct);
        var claim = await _ledger.TryBeginSendAsync(created.Request, _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        PingppRefund Refund(string id, PingppRefundStatus status) => new()
        {
            Id = id, Amount = 50, Status = status, Charge = "ch_1",
            Metadata = new Dictionary<string, string> { [PingppMetadata.RequestId] = "p_late" },
        };
        await _ledger.ApplyRefundAsync(Refund("re_late_a", PingppRefundStatus.Succeeded), null, Ct);
        Assert.Equal(RefundRequestState.Succeeded, (await _ledger.GetRequestAsync("p_late", Ct))!.State);
        Assert.DoesNotContain(order, (await _ledger.ListOpenWorkAsync(100, null, Ct)).Items.Select(i => i.LedgerKey));

        await _ledger.RecordSubmittedAsync(claim.Request!, [Refund("re_late_a", PingppRefundStatus.Pending), Refund("re_late_c", PingppRefundStatus.Pending)], Ct);

        var ledger = await _ledger.ListOrderAsync(order, Ct);
        Assert.Equal(PingppRefundStatus.Succeeded, ledger.Refunds.Single(r => r.RefundId == "re_late_a").Status);
        Assert.Equal(PingppRefundStatus.Pending, ledger.Refunds.Single(r => r.RefundId == "re_late_c").Status);
        Assert.Contains(order, (await _ledger.ListOpenWorkAsync(100, null, Ct)).Items.Select(i => i.LedgerKey));
    }

    [Fact]
    public async Task A_request_created_for_an_immediate_send_is_born_claimed_and_a_redelivery_finds_the_claim_held()
    {
        var at = _time.GetUtcNow();
        var created = await _ledger.CreateClaimedRequestAsync(Request("p_born"), at, TimeSpan.FromMinutes(2), Ct);
        var again = await _ledger.CreateClaimedRequestAsync(Request("p_born"), at, TimeSpan.FromMinutes(2), Ct);
        var stored = await _ledger.GetRequestAsync("p_born", Ct);

        Assert.True(created.Created);
        Assert.False(again.Created);
        Assert.Equal((RefundRequestState.Submitting, 1, true, at, at + TimeSpan.FromMinutes(2)),
            (stored!.State, stored.Attempt, stored.Uncertain, stored.LastSendStartedAt, stored.LeaseUntil));
        Assert.Equal(SubmitClaimOutcome.HeldByOther, (await _ledger.TryBeginSendAsync(again.Request, at, TimeSpan.FromMinutes(2), Ct)).Outcome);
        Assert.Contains("2011609290000000101", (await _ledger.ListOpenWorkAsync(100, null, Ct)).Items.Select(i => i.LedgerKey));

        // Once the lease is gone, the next delivery must look up before creating again.
        _time.Advance(TimeSpan.FromMinutes(3));
        var reclaim = await _ledger.TryBeginSendAsync(again.Request, _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        Assert.Equal((SubmitClaimOutcome.Claimed, true, 2), (reclaim.Outcome, reclaim.MayHaveReachedPingpp, reclaim.Request!.Attempt));
    }

    [Fact]
    public async Task A_create_answer_naming_a_refund_already_recorded_as_external_links_it_instead_of_adding_it_twice()
    {
        const string order = "2011609290000000104";
        var created = await _ledger.CreateClaimedRequestAsync(Request("p_known", order), _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        await _ledger.ApplyRefundAsync(new PingppRefund { Id = "re_known", Amount = 100, Status = PingppRefundStatus.Pending, Charge = "ch_1" }, order, Ct);

        var submitted = await _ledger.RecordSubmittedAsync(created.Request, [new PingppRefund
        {
            Id = "re_known", Amount = 100, Status = PingppRefundStatus.Succeeded, Charge = "ch_1",
            Metadata = new Dictionary<string, string> { [PingppMetadata.RequestId] = "p_known" },
        }], Ct);

        Assert.Equal((RequestUpdateOutcome.Updated, RefundRequestState.Succeeded), (submitted.Outcome, submitted.Request!.State));
        Assert.Equal(["re_known"], submitted.Request.RefundIds);
        var refund = Assert.Single((await _ledger.ListOrderAsync(order, Ct)).Refunds);
        Assert.Equal(PingppRefundStatus.Succeeded, refund.Status);
    }

    [Fact]
    public async Task A_claim_with_a_wrong_order_id_still_finds_the_request_through_its_lookup()
    {
        await _ledger.CreateRequestAsync(Request("p_lost", order: "2011609290000000102"), Ct);

        var claim = await _ledger.TryBeginSendAsync(Request("p_lost", order: "2011609290000000999"), _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);

        Assert.Equal((SubmitClaimOutcome.Claimed, "2011609290000000102"), (claim.Outcome, claim.Request!.OrderId));
    }

    [Fact]
    public async Task Releasing_after_a_definite_not_sent_clears_only_this_claims_own_uncertainty()
    {
        await _ledger.CreateRequestAsync(Request("p2"), Ct);
        var first = await _ledger.TryBeginSubmitAsync("p2", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        await _ledger.RecordSendStartingAsync("p2", first.Request!.Attempt, _time.GetUtcNow(), Ct);
        var unknown = await _ledger.ReleaseClaimAsync("p2", first.Request.Attempt, definitelyNotSent: false, "create: OutcomeUnknown", Ct);
        Assert.Equal((RefundRequestState.Received, true, "create: OutcomeUnknown"), (unknown.Request!.State, unknown.Request.Uncertain, unknown.Request.LastError));

        // A claim that only looked up (no send of its own) cannot clear the older uncertainty.
        _time.Advance(TimeSpan.FromSeconds(10));
        var second = await _ledger.TryBeginSubmitAsync("p2", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        var kept = await _ledger.ReleaseClaimAsync("p2", second.Request!.Attempt, definitelyNotSent: true, "lookup: RateLimited", Ct);
        Assert.True(kept.Request!.Uncertain);

        // A claim whose own create was rate limited clears it.
        _time.Advance(TimeSpan.FromSeconds(10));
        var third = await _ledger.TryBeginSubmitAsync("p2", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        await _ledger.RecordSendStartingAsync("p2", third.Request!.Attempt, _time.GetUtcNow(), Ct);
        var cleared = await _ledger.ReleaseClaimAsync("p2", third.Request.Attempt, definitelyNotSent: true, "create: RateLimited", Ct);
        Assert.Equal((RefundRequestState.Received, false), (cleared.Request!.State, cleared.Request.Uncertain));
    }

    [Fact]
    public async Task Recorded_refunds_and_a_ping_rejection_settle_the_uncertainty()
    {
        foreach (var id in new[] { "p3a", "p3b" })
        {
            await _ledger.CreateRequestAsync(Request(id, "2011609290000000103"), Ct);
            var claim = await _ledger.TryBeginSubmitAsync(id, _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
            await _ledger.RecordSendStartingAsync(id, claim.Request!.Attempt, _time.GetUtcNow(), Ct);
        }

        var submitted = await _ledger.RecordSubmittedAsync("p3a", [new PingppRefund { Id = "re_p3a", Amount = 100, Status = PingppRefundStatus.Pending, Charge = "ch_1" }], Ct);
        var failed = await _ledger.RecordFailedAsync("p3b", 1, "refund_amount_exceeded", "too much", Ct);

        Assert.Equal((RefundRequestState.Submitted, false), (submitted.Request!.State, submitted.Request.Uncertain));
        Assert.Equal((RefundRequestState.Failed, false, "refund_amount_exceeded: too much"), (failed.Request!.State, failed.Request.Uncertain, failed.Request.LastError));
    }

    [Fact]
    public async Task Only_one_create_is_in_flight_per_order_while_its_outcome_is_unknown()
    {
        const string order = "2011609290000000109";
        var first = await _ledger.CreateClaimedRequestAsync(Request("c1", order), _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        Assert.Equal((RefundRequestState.Submitting, true), (first.Request.State, first.Request.Uncertain));

        // c1's create is in doubt: c2 of the same order is recorded but not claimed, and cannot be claimed.
        var second = await _ledger.CreateClaimedRequestAsync(Request("c2", order, "fp2"), _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        Assert.Equal((true, RefundRequestState.Received, false), (second.Created, second.Request.State, second.Request.Uncertain));
        Assert.Equal(SubmitClaimOutcome.OrderBusy, (await _ledger.TryBeginSendAsync(second.Request, _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct)).Outcome);
        // Nor by the lookup path's write-ahead.
        var c2Claim = await _ledger.TryBeginSubmitAsync("c2", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        var blocked = await _ledger.RecordSendStartingAsync("c2", c2Claim.Request!.Attempt, _time.GetUtcNow(), Ct);
        Assert.Equal((RequestUpdateOutcome.NotAllowed, false), (blocked.Outcome, blocked.Request!.Uncertain));
        await _ledger.ReleaseClaimAsync("c2", c2Claim.Request.Attempt, definitelyNotSent: true, "waiting", Ct);
        // Another order is not affected.
        Assert.Equal(RefundRequestState.Submitting, (await _ledger.CreateClaimedRequestAsync(Request("c3", "2011609290000000110"), _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct)).Request.State);

        // c1's outcome becomes known (a release after a refused send counts too): c2 may go.
        await _ledger.RecordSubmittedAsync("c1", [new PingppRefund { Id = "re_c1", Amount = 100, Status = PingppRefundStatus.Pending, Charge = "ch_1" }], Ct);
        var claimed = await _ledger.TryBeginSendAsync(second.Request, _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        Assert.Equal((SubmitClaimOutcome.Claimed, true), (claimed.Outcome, claimed.SendMarked));
    }

    [Fact]
    public async Task A_validation_rejection_is_replaced_by_a_corrected_request_with_the_same_id_but_a_valid_request_is_never_rejected()
    {
        await _ledger.RecordRejectedAsync(new RefundRejection { Id = "p4", Reasons = ["order_id: is required"], RawText = "{}" }, Ct);
        var corrected = await _ledger.CreateRequestAsync(Request("p4", "2011609290000000104"), Ct);
        Assert.True(corrected.Created);
        var read = (await _ledger.GetRequestAsync("p4", Ct))!;
        Assert.Equal((RefundRequestState.Received, "2011609290000000104", "fp1", 1), (read.State, read.OrderId, read.Fingerprint, read.IgnoredMessages));
        Assert.Contains("order_id: is required", read.LastIgnoredMessage);
        Assert.Contains("p4", (await _ledger.ListOrderAsync("2011609290000000104", Ct)).Requests.Select(r => r.RequestId));

        // Now valid: an invalid duplicate does not end it, and the same id with other parameters does not replace it.
        var invalid = await _ledger.RecordRejectedAsync(new RefundRejection { Id = "p4", Reasons = ["description: is required"], RawText = "{\"x\":1}" }, Ct);
        Assert.Equal((RequestUpdateOutcome.NotAllowed, RefundRequestState.Received, 2), (invalid.Outcome, invalid.Request!.State, invalid.Request.IgnoredMessages));
        var again = await _ledger.CreateRequestAsync(Request("p4", "2011609290000000104", fingerprint: "fp2"), Ct);
        Assert.Equal((false, "fp1"), (again.Created, again.Request.Fingerprint));
    }

    [Fact]
    public async Task A_rejected_64_KiB_message_is_kept_whole_and_a_larger_text_is_cut_with_a_marker()
    {
        var raw = string.Concat(Enumerable.Repeat("退款😀abc", 64 * 1024 / 6)) + "end";
        await _ledger.RecordRejectedAsync(new RefundRejection { Id = "p5", Reasons = ["message: too large"], RawText = raw }, Ct);
        Assert.Equal(raw, (await _ledger.GetRequestAsync("p5", Ct))!.RawText);

        var huge = new string('z', 300_000);
        await _ledger.RecordRejectedAsync(new RefundRejection { Id = "p6", Reasons = ["message: too large"], RawText = huge }, Ct);
        var kept = (await _ledger.GetRequestAsync("p6", Ct))!.RawText!;
        Assert.True(kept.Length <= 240_000);
        Assert.StartsWith(new string('z', 200_000), kept);
        Assert.EndsWith("more characters]", kept);
    }

    [Fact]
    public async Task Dead_lettered_requests_can_be_listed_for_the_admin_requeue()
    {
        await _ledger.CreateRequestAsync(Request("p7", "2011609290000000107"), Ct);
        await _ledger.CreateRequestAsync(Request("p8", "2011609290000000108"), Ct);
        await _ledger.RecordDeadLetteredAsync("p7", "boom", Ct);

        var dead = await _ledger.ListRequestsInStateAsync(RefundRequestState.DeadLettered, 10, Ct);
        Assert.Equal(["p7"], dead.Select(r => r.RequestId));
    }
}
