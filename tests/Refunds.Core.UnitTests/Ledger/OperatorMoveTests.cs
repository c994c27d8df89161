using Refunds.Core.Ledger;
using Refunds.Core.Operations;
using S = Refunds.Core.Ledger.RefundRequestState;

namespace Refunds.Core.UnitTests.Ledger;

/// <summary>Which operator move applies in which state (<see cref="RefundLedger.Apply"/>), and what it records.</summary>
public class OperatorMoveTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 6, 5, 0, 0, TimeSpan.Zero);

    private static RefundRequestRecord Request(S state, int attempt = 0, bool sent = false, RequestApproval? approval = null) => new()
    {
        RequestId = "r1",
        OrderId = "2011609290000000001",
        ChargeAmount = 500_000,
        State = state,
        Attempt = attempt,
        LastSendStartedAt = sent ? At.AddMinutes(-5) : null,
        Uncertain = sent,
        Approval = approval,
    };

    private static RequestApproval Held => new() { Reasons = [RequestApproval.PerRequestLimit], Amount = 500_000 };

    [Fact]
    public void Approve_moves_a_held_request_to_received_and_records_the_decision()
    {
        var approved = RefundLedger.Apply(Request(S.AwaitingApproval, approval: Held), OperatorMove.Approve, "operator:key:master", "checked with finance", At)!;

        Assert.Equal(S.Received, approved.State);
        Assert.Equal((RequestApproval.Approved, "operator:key:master", At, "checked with finance", 500_000L),
            (approved.Approval!.Decision, approved.Approval.DecidedBy, approved.Approval.DecidedAt, approved.Approval.Reason, approved.Approval.Amount));
        Assert.Equal([RequestApproval.PerRequestLimit], approved.Approval.Reasons);
    }

    [Fact]
    public void Deny_ends_a_held_request_canceled_with_the_denial_recorded()
    {
        var denied = RefundLedger.Apply(Request(S.AwaitingApproval, approval: Held), OperatorMove.Deny, "operator:key:master", "duplicate of r0", At)!;

        Assert.Equal((S.Canceled, RequestApproval.Denied), (denied.State, denied.Approval!.Decision));
    }

    [Theory]
    [InlineData(S.Received)]
    [InlineData(S.Submitting)]
    [InlineData(S.Submitted)]
    [InlineData(S.Succeeded)]
    [InlineData(S.Failed)]
    [InlineData(S.Rejected)]
    [InlineData(S.DeadLettered)]
    [InlineData(S.NeedsReview)]
    [InlineData(S.Canceled)]
    public void Approve_and_deny_apply_only_to_a_request_awaiting_approval(S state)
    {
        Assert.Null(RefundLedger.Apply(Request(state), OperatorMove.Approve, "operator:key:master", null, At));
        Assert.Null(RefundLedger.Apply(Request(state), OperatorMove.Deny, "operator:key:master", "no", At));
    }

    [Theory]
    [InlineData(S.Received, 0, false, true)]
    [InlineData(S.AwaitingApproval, 0, false, true)]
    [InlineData(S.DeadLettered, 0, false, true)]
    // Claimed once, but the create never started (no write-ahead): nothing can be at Ping++.
    [InlineData(S.Received, 1, false, true)]
    // A create was started (write-ahead): it may have reached Ping++.
    [InlineData(S.Received, 1, true, false)]
    [InlineData(S.DeadLettered, 2, true, false)]
    [InlineData(S.Submitting, 1, true, false)]
    [InlineData(S.Submitted, 1, true, false)]
    [InlineData(S.NeedsReview, 1, true, false)]
    [InlineData(S.Succeeded, 1, true, false)]
    [InlineData(S.Failed, 1, true, false)]
    [InlineData(S.Rejected, 0, false, false)]
    [InlineData(S.Canceled, 0, false, false)]
    public void Cancel_applies_only_to_a_request_that_cannot_have_reached_pingpp(S state, int attempt, bool sent, bool cancels)
    {
        var canceled = RefundLedger.Apply(Request(state, attempt, sent), OperatorMove.Cancel, "operator:key:master", "customer withdrew", At);

        Assert.Equal(cancels, canceled is { State: S.Canceled });
    }

    [Fact]
    public void An_approved_request_on_its_way_is_not_canceled_so_an_approve_and_a_cancel_never_both_apply()
    {
        var approved = RefundLedger.Apply(Request(S.AwaitingApproval, approval: Held), OperatorMove.Approve, "operator:key:a", null, At)!;
        var canceled = RefundLedger.Apply(Request(S.AwaitingApproval, approval: Held), OperatorMove.Cancel, "operator:key:b", "stop", At)!;

        Assert.Null(RefundLedger.Apply(approved, OperatorMove.Cancel, "operator:key:b", "stop", At));
        Assert.Null(RefundLedger.Apply(canceled, OperatorMove.Approve, "operator:key:a", null, At));
        Assert.Equal(RequestApproval.Canceled, canceled.Approval!.Decision);
    }

    [Fact]
    public void Requeue_moves_a_dead_lettered_request_back_and_leaves_a_received_one_as_it_is()
    {
        Assert.Equal(S.Received, RefundLedger.Apply(Request(S.DeadLettered, 3, true), OperatorMove.Requeue, "operator:key:master", null, At)!.State);
        var received = Request(S.Received);
        Assert.Same(received, RefundLedger.Apply(received, OperatorMove.Requeue, "operator:key:master", null, At));
        Assert.Null(RefundLedger.Apply(Request(S.AwaitingApproval), OperatorMove.Requeue, "operator:key:master", null, At));
    }

    [Theory]
    [InlineData("", null, null)]
    [InlineData("{}", null, null)]
    [InlineData("{\"reason\":\"ok\"}", "ok", null)]
    [InlineData("{\"reason\":\"a\\u0007b\"}", null, "'reason' must not contain control characters.")]
    [InlineData("{\"reason\":5}", null, "'reason' must be a string.")]
    [InlineData("[\"x\"]", null, "The body must be a JSON object with 'reason'.")]
    [InlineData("{\"reason\":", null, "The body is not valid JSON; expected {\"reason\":\"…\"}.")]
    public void Operator_reasons_are_checked(string body, string? reason, string? problem)
        => Assert.Equal((reason, problem), OperatorReason.Parse(System.Text.Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void A_reason_longer_than_1000_characters_is_refused()
    {
        Assert.Equal((null, "'reason' is longer than 1000 characters."), OperatorReason.Check(new string('x', 1001)));
        Assert.Equal(new string('x', 1000), OperatorReason.Check(new string('x', 1000)).Reason);
    }
}
