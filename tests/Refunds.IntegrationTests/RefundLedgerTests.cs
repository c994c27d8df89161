using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;

namespace Refunds.IntegrationTests;

public class RefundLedgerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 28, 8, 0, 0, TimeSpan.Zero));
    private readonly RefundLedger _ledger;
    private static readonly CancellationToken Ct = CancellationToken.None;

    public RefundLedgerTests()
        => _ledger = new RefundLedger(Azurite.Tables(), _time, NullLogger<RefundLedger>.Instance, Azurite.UniqueTable("led"), Azurite.UniqueTable("idx"));

    private static RefundRequestRecord Request(string requestId, string orderId) => new()
    {
        RequestId = requestId,
        OrderId = orderId,
        Description = "退款原因",
        Charge = "ch_1",
        ChargeAmount = 300,
        RefundMode = "to_source",
        FundingSource = "unsettled_funds",
        RoyaltyUsers = [new RoyaltyUserRefund("u_1", 10)],
        Metadata = new Dictionary<string, string> { ["note"] = "x" },
    };

    private static PingppRefund Refund(string id, PingppRefundStatus status, string? requestId = null, long? timeSucceed = null) => new()
    {
        Id = id,
        Amount = 300,
        Status = status,
        Succeed = status == PingppRefundStatus.Succeeded,
        TimeSucceed = timeSucceed,
        Charge = "ch_1",
        Metadata = requestId is null ? null : new Dictionary<string, string> { [PingppMetadata.RequestId] = requestId },
    };

    private async Task<List<OpenWorkItem>> AllOpenAsync(int pageSize = 100)
    {
        var items = new List<OpenWorkItem>();
        string? continuation = null;
        do
        {
            var page = await _ledger.ListOpenWorkAsync(pageSize, continuation, Ct);
            Assert.True(page.Items.Count <= pageSize);
            items.AddRange(page.Items);
            continuation = page.Continuation;
        }
        while (continuation is not null);
        return items;
    }

    [Fact]
    public async Task Request_keeps_every_refund_parameter_and_a_second_create_returns_the_first()
    {
        var first = await _ledger.CreateRequestAsync(Request("r1", "2011609290000000001"), Ct);
        var second = await _ledger.CreateRequestAsync(Request("r1", "2011609290000000001") with { Description = "other" }, Ct);
        var read = await _ledger.GetRequestAsync("r1", Ct);

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal("退款原因", second.Request.Description);
        Assert.Equal((RefundRequestState.Received, "ch_1", 300L, "to_source"), (read!.State, read.Charge, read.ChargeAmount!.Value, read.RefundMode));
        Assert.Equal("unsettled_funds", read.FundingSource);
        Assert.Equal(new RoyaltyUserRefund("u_1", 10), Assert.Single(read.RoyaltyUsers!));
        Assert.Equal("x", read.Metadata!["note"]);
    }

    [Fact]
    public async Task Concurrent_claims_let_exactly_one_win_and_an_expired_lease_can_be_reclaimed()
    {
        await _ledger.CreateRequestAsync(Request("r_claim", "2011609290000000002"), Ct);
        var now = _time.GetUtcNow();

        var claims = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => _ledger.TryBeginSubmitAsync("r_claim", now, TimeSpan.FromMinutes(2), Ct))));

        var winner = Assert.Single(claims, c => c.Outcome == SubmitClaimOutcome.Claimed);
        Assert.All(claims.Where(c => c != winner), c => Assert.Equal(SubmitClaimOutcome.HeldByOther, c.Outcome));
        Assert.Equal(1, winner.Request!.Attempt);
        Assert.False(winner.MayHaveReachedPingpp);
        await _ledger.RecordSendStartingAsync("r_claim", 1, now, Ct);

        var later = await _ledger.TryBeginSubmitAsync("r_claim", now.AddMinutes(3), TimeSpan.FromMinutes(2), Ct);
        Assert.Equal(SubmitClaimOutcome.Claimed, later.Outcome);
        Assert.Equal(2, later.Request!.Attempt);
        Assert.True(later.MayHaveReachedPingpp);
    }

    [Fact]
    public async Task Submitted_refunds_drive_the_request_to_succeeded_and_a_finished_request_cannot_be_claimed()
    {
        const string order = "2011609290000000003";
        await _ledger.CreateRequestAsync(Request("r_sub", order), Ct);
        await _ledger.TryBeginSubmitAsync("r_sub", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);

        var submitted = await _ledger.RecordSubmittedAsync("r_sub", [Refund("re_a", PingppRefundStatus.Pending, "r_sub"), Refund("re_b", PingppRefundStatus.Pending, "r_sub")], Ct);
        Assert.Equal((RequestUpdateOutcome.Updated, RefundRequestState.Submitted), (submitted.Outcome, submitted.Request!.State));
        Assert.Equal(["re_a", "re_b"], submitted.Request.RefundIds);

        await _ledger.ApplyRefundAsync(Refund("re_a", PingppRefundStatus.Succeeded, "r_sub", 1700000000), null, Ct);
        Assert.Equal(RefundRequestState.Submitted, (await _ledger.GetRequestAsync("r_sub", Ct))!.State);
        await _ledger.ApplyRefundAsync(Refund("re_b", PingppRefundStatus.Failed, "r_sub"), null, Ct);

        var ledger = await _ledger.ListOrderAsync(order, Ct);
        Assert.Equal(RefundRequestState.Succeeded, Assert.Single(ledger.Requests).State);
        Assert.Equal(2, ledger.Refunds.Count);
        Assert.All(ledger.Refunds, r => Assert.Equal(("r_sub", order, false), (r.RequestId, r.OrderId, r.External)));
        Assert.Equal(SubmitClaimOutcome.NotClaimable, (await _ledger.TryBeginSubmitAsync("r_sub", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct)).Outcome);
    }

    [Fact]
    public async Task Out_of_order_succeeded_then_pending_never_moves_back()
    {
        await _ledger.CreateRequestAsync(Request("r_ooo", "2011609290000000004"), Ct);
        await _ledger.TryBeginSubmitAsync("r_ooo", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);

        var succeeded = await _ledger.ApplyRefundAsync(Refund("re_ooo", PingppRefundStatus.Succeeded, "r_ooo", 1700000000), null, Ct);
        var pending = await _ledger.ApplyRefundAsync(Refund("re_ooo", PingppRefundStatus.Pending, "r_ooo"), null, Ct);
        var replay = await _ledger.ApplyRefundAsync(Refund("re_ooo", PingppRefundStatus.Succeeded, "r_ooo", 1700000000), null, Ct);

        Assert.Equal(RefundApplyOutcome.Created, succeeded.Outcome);
        Assert.Equal(RefundApplyOutcome.Unchanged, pending.Outcome);
        Assert.Equal(RefundApplyOutcome.Unchanged, replay.Outcome);
        var refund = await _ledger.GetRefundAsync("re_ooo", Ct);
        Assert.Equal((PingppRefundStatus.Succeeded, DateTimeOffset.FromUnixTimeSeconds(1700000000)), (refund!.Status, refund.TimeSucceed!.Value));
        Assert.Equal(RefundRequestState.Succeeded, (await _ledger.GetRequestAsync("r_ooo", Ct))!.State);
    }

    [Fact]
    public async Task Failed_refund_reported_succeeded_later_stays_failed_and_marks_the_order()
    {
        const string order = "2011609290000000005";
        await _ledger.ApplyRefundAsync(Refund("re_flip", PingppRefundStatus.Failed), order, Ct);
        var flip = await _ledger.ApplyRefundAsync(Refund("re_flip", PingppRefundStatus.Succeeded, timeSucceed: 1700000000), order, Ct);

        Assert.Equal(PingppRefundStatus.Failed, flip.Refund.Status);
        Assert.True(flip.Refund.StatusConflict);
        var ledger = await _ledger.ListOrderAsync(order, Ct);
        Assert.True(ledger.Order!.NeedsReconciliation);
        Assert.Contains(await AllOpenAsync(), i => i.OrderId == order);
    }

    [Fact]
    public async Task External_refund_of_a_known_order_is_listed_with_the_order()
    {
        const string order = "2011609290000000006";
        var result = await _ledger.ApplyRefundAsync(Refund("re_dash", PingppRefundStatus.Succeeded, timeSucceed: 1700000000), order, Ct);

        Assert.Equal(RefundApplyOutcome.Created, result.Outcome);
        var refund = Assert.Single((await _ledger.ListOrderAsync(order, Ct)).Refunds);
        Assert.Equal(("re_dash", true, (string?)null), (refund.RefundId, refund.External, refund.RequestId));
        Assert.DoesNotContain(await AllOpenAsync(), i => i.OrderId == order);
    }

    [Fact]
    public async Task External_refund_of_an_unknown_order_is_findable_by_id_until_its_order_is_known()
    {
        var orphan = await _ledger.ApplyRefundAsync(Refund("re_orphan", PingppRefundStatus.Succeeded, timeSucceed: 1700000000), null, Ct);
        Assert.True(orphan.Refund.External);
        var open = Assert.Single(await AllOpenAsync());
        Assert.Equal(("re_orphan", (string?)null), (open.RefundId, open.OrderId));

        const string order = "2011609290000000007";
        var adopted = await _ledger.ApplyRefundAsync(Refund("re_orphan", PingppRefundStatus.Succeeded, timeSucceed: 1700000000), order, Ct);

        Assert.Equal(order, adopted.Refund.OrderId);
        Assert.Equal(order, (await _ledger.GetRefundAsync("re_orphan", Ct))!.OrderId);
        Assert.Single((await _ledger.ListOrderAsync(order, Ct)).Refunds);
        Assert.Empty(await AllOpenAsync());
    }

    [Fact]
    public async Task Webhook_before_the_create_response_links_the_refund_through_our_request_id()
    {
        const string order = "2011609290000000008";
        await _ledger.CreateRequestAsync(Request("r_early", order), Ct);
        await _ledger.TryBeginSubmitAsync("r_early", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);

        var early = await _ledger.ApplyRefundAsync(Refund("re_early", PingppRefundStatus.Succeeded, "r_early", 1700000000), null, Ct);
        var response = await _ledger.RecordSubmittedAsync("r_early", [Refund("re_early", PingppRefundStatus.Pending, "r_early")], Ct);

        Assert.Equal((order, "r_early", false), (early.Refund.OrderId, early.Refund.RequestId, early.Refund.External));
        Assert.Equal(RefundRequestState.Succeeded, response.Request!.State);
        Assert.Equal(PingppRefundStatus.Succeeded, (await _ledger.GetRefundAsync("re_early", Ct))!.Status);
    }

    [Fact]
    public async Task Open_index_shrinks_as_work_closes_and_pages_cover_every_order()
    {
        string[] orders = ["2011609290000000011", "2011609290000000012", "2011609290000000013", "2011609290000000014"];
        for (var i = 0; i < orders.Length; i++)
        {
            await _ledger.CreateRequestAsync(Request($"r_open{i}", orders[i]), Ct);
        }

        Assert.Equal(orders.Order(), (await AllOpenAsync(pageSize: 1)).Select(i => i.OrderId!).Order());

        await _ledger.TryBeginSubmitAsync("r_open0", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        await _ledger.RecordSubmittedAsync("r_open0", [Refund("re_open0", PingppRefundStatus.Succeeded, "r_open0", 1700000000)], Ct);
        await _ledger.TryBeginSubmitAsync("r_open1", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        await _ledger.RecordFailedAsync("r_open1", 1, "channel_refund_error", "余额不足", Ct);
        // (An invalid message can no longer end a valid request; a never-claimed dead-lettered one closes the work.)
        await _ledger.RecordDeadLetteredAsync("r_open2", "poison before any attempt", Ct);

        Assert.Equal([orders[3]], (await AllOpenAsync()).Select(i => i.OrderId));
        Assert.Equal(RefundRequestState.DeadLettered, (await _ledger.GetRequestAsync("r_open2", Ct))!.State);
    }

    [Fact]
    public async Task Dead_lettered_request_stays_open_once_claimed_and_can_be_requeued()
    {
        const string order = "2011609290000000021";
        await _ledger.CreateRequestAsync(Request("r_dead", order), Ct);
        var first = await _ledger.TryBeginSubmitAsync("r_dead", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        await _ledger.RecordSendStartingAsync("r_dead", first.Request!.Attempt, _time.GetUtcNow(), Ct);

        // While the claim is live its holder may be calling Ping++: the poison handler may not end it.
        var live = await _ledger.RecordDeadLetteredAsync("r_dead", "poisoned while claimed", Ct);
        Assert.Equal((RequestUpdateOutcome.NotAllowed, RefundRequestState.Submitting), (live.Outcome, live.Request!.State));
        _time.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));

        var dead = await _ledger.RecordDeadLetteredAsync("r_dead", "timeout talking to Ping++", Ct);
        Assert.Equal((RequestUpdateOutcome.Updated, RefundRequestState.DeadLettered), (dead.Outcome, dead.Request!.State));
        Assert.Contains(await AllOpenAsync(), i => i.OrderId == order);
        Assert.Equal(SubmitClaimOutcome.NotClaimable, (await _ledger.TryBeginSubmitAsync("r_dead", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct)).Outcome);

        var requeued = await _ledger.ApplyOperatorMoveAsync("r_dead", OperatorMove.Requeue, "operator:key:test-operator", null, Ct);
        Assert.Equal(RefundRequestState.Received, requeued.Request!.State);
        var reclaim = await _ledger.TryBeginSubmitAsync("r_dead", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        Assert.True(reclaim.MayHaveReachedPingpp);
        Assert.Equal(RequestUpdateOutcome.NotAllowed, (await _ledger.ApplyOperatorMoveAsync("r_dead", OperatorMove.Requeue, "operator:key:test-operator", null, Ct)).Outcome);
    }

    [Fact]
    public async Task Forbidden_moves_are_refused_and_replays_are_unchanged()
    {
        await _ledger.CreateRequestAsync(Request("r_fail", "2011609290000000031"), Ct);
        Assert.Equal(RequestUpdateOutcome.NotAllowed, (await _ledger.RecordFailedAsync("r_fail", 0, "x", "y", Ct)).Outcome);
        await _ledger.TryBeginSubmitAsync("r_fail", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        Assert.Equal(RequestUpdateOutcome.Updated, (await _ledger.RecordFailedAsync("r_fail", 1, "x", "y", Ct)).Outcome);
        Assert.Equal(RequestUpdateOutcome.NotAllowed, (await _ledger.RecordFailedAsync("r_fail", 1, "x", "y", Ct)).Outcome);
        Assert.Equal(RequestUpdateOutcome.NotAllowed, (await _ledger.RecordDeadLetteredAsync("r_fail", "z", Ct)).Outcome);
        Assert.Equal(RequestUpdateOutcome.NotFound, (await _ledger.RecordFailedAsync("r_nobody", 1, "x", "y", Ct)).Outcome);
    }

    [Fact]
    public async Task A_stale_claim_holder_cannot_fail_a_request_that_a_newer_claim_submitted()
    {
        const string order = "2011609290000000032";
        await _ledger.CreateRequestAsync(Request("r_stale", order), Ct);
        await _ledger.TryBeginSubmitAsync("r_stale", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        _time.Advance(TimeSpan.FromMinutes(3));
        var second = await _ledger.TryBeginSubmitAsync("r_stale", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        await _ledger.RecordSubmittedAsync("r_stale", [Refund("re_stale", PingppRefundStatus.Pending, "r_stale", 1700000000)], Ct);

        var stale = await _ledger.RecordFailedAsync("r_stale", second.Request!.Attempt - 1, "refund_amount_exceeded", "late answer of the first claim", Ct);

        Assert.Equal((RequestUpdateOutcome.NotAllowed, RefundRequestState.Submitted), (stale.Outcome, stale.Request!.State));
        Assert.Null((await _ledger.GetRequestAsync("r_stale", Ct))!.FailureCode);
    }

    [Fact]
    public async Task A_failed_request_whose_own_refund_succeeds_later_moves_to_succeeded()
    {
        const string order = "2011609290000000033";
        await _ledger.CreateRequestAsync(Request("r_lift", order), Ct);
        var claim = await _ledger.TryBeginSubmitAsync("r_lift", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        await _ledger.RecordFailedAsync("r_lift", claim.Request!.Attempt, "channel_error", "refused", Ct);

        // A refund carrying this request's marker (an earlier create that did go through) succeeds at Ping++.
        await _ledger.ApplyRefundAsync(Refund("re_lift", PingppRefundStatus.Succeeded, "r_lift", 1700000000), order, Ct);

        var lifted = (await _ledger.GetRequestAsync("r_lift", Ct))!;
        Assert.Equal(RefundRequestState.Succeeded, lifted.State);
        Assert.Equal(["re_lift"], lifted.RefundIds);
    }

    [Fact]
    public async Task Reconciliation_mark_clears_only_when_not_renewed()
    {
        const string order = "2011609290000000041";
        await _ledger.MarkOrderForReconciliationAsync(order, "paid after cancel", Ct);
        var seenAt = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromMinutes(1));
        await _ledger.MarkOrderForReconciliationAsync(order, "paid twice", Ct);

        Assert.False(await _ledger.ClearReconciliationMarkAsync(order, seenAt, Ct));
        Assert.Contains(await AllOpenAsync(), i => i.OrderId == order);
        Assert.True(await _ledger.ClearReconciliationMarkAsync(order, _time.GetUtcNow(), Ct));
        Assert.Empty(await AllOpenAsync());
    }
}
