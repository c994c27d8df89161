using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using S = Refunds.Core.Ledger.RefundRequestState;

namespace Refunds.Core.UnitTests.Ledger;

public class RefundRequestStateMachineTests
{
    [Theory]
    [InlineData(S.Received, S.Submitting)]
    [InlineData(S.Received, S.Rejected)]
    [InlineData(S.Received, S.DeadLettered)]
    [InlineData(S.Submitting, S.Submitting)]
    [InlineData(S.Submitting, S.Submitted)]
    [InlineData(S.Submitting, S.Failed)]
    [InlineData(S.Submitting, S.DeadLettered)]
    [InlineData(S.Submitted, S.Succeeded)]
    [InlineData(S.Submitted, S.Failed)]
    [InlineData(S.DeadLettered, S.Received)]
    [InlineData(S.Submitting, S.Received)]
    [InlineData(S.Rejected, S.Received)]
    [InlineData(S.Failed, S.Succeeded)]
    [InlineData(S.Failed, S.Submitted)]
    [InlineData(S.Submitting, S.NeedsReview)]
    [InlineData(S.Received, S.NeedsReview)]
    [InlineData(S.NeedsReview, S.Submitted)]
    [InlineData(S.NeedsReview, S.Succeeded)]
    [InlineData(S.AwaitingApproval, S.Received)]
    [InlineData(S.AwaitingApproval, S.Canceled)]
    [InlineData(S.Received, S.Canceled)]
    [InlineData(S.DeadLettered, S.Canceled)]
    [InlineData(S.Rejected, S.AwaitingApproval)]
    public void Allowed_moves(S from, S to) => Assert.True(RefundRequestStateMachine.CanMove(from, to));

    [Theory]
    [InlineData(S.Succeeded, S.Failed)]
    [InlineData(S.Succeeded, S.Submitted)]
    [InlineData(S.Failed, S.Received)]
    [InlineData(S.Failed, S.Submitting)]
    [InlineData(S.NeedsReview, S.Received)]
    [InlineData(S.NeedsReview, S.Submitting)]
    [InlineData(S.Rejected, S.Submitting)]
    [InlineData(S.Submitted, S.Received)]
    [InlineData(S.Submitted, S.Submitting)]
    [InlineData(S.Submitted, S.DeadLettered)]
    [InlineData(S.Submitting, S.Rejected)]
    [InlineData(S.DeadLettered, S.Submitting)]
    [InlineData(S.Received, S.Received)]
    [InlineData(S.AwaitingApproval, S.Submitting)]
    [InlineData(S.AwaitingApproval, S.Submitted)]
    [InlineData(S.AwaitingApproval, S.DeadLettered)]
    [InlineData(S.AwaitingApproval, S.NeedsReview)]
    [InlineData(S.Submitting, S.Canceled)]
    [InlineData(S.Submitted, S.Canceled)]
    [InlineData(S.NeedsReview, S.Canceled)]
    [InlineData(S.Failed, S.Canceled)]
    [InlineData(S.Canceled, S.Received)]
    [InlineData(S.Canceled, S.Submitted)]
    [InlineData(S.Canceled, S.Succeeded)]
    [InlineData(S.Received, S.AwaitingApproval)]
    public void Forbidden_moves(S from, S to) => Assert.False(RefundRequestStateMachine.CanMove(from, to));

    [Fact]
    public void Terminal_states_are_never_processed_again_only_refund_evidence_lifts_a_failed_one()
    {
        // A validation rejection is replaced by a corrected request (back to Received); a failed request moves only to
        // what its own refunds say; a succeeded one never moves.
        Assert.Equal([S.Received, S.AwaitingApproval], RefundRequestStateMachine.AllowedMoves(S.Rejected));
        Assert.Equal([S.Submitted, S.Succeeded], RefundRequestStateMachine.AllowedMoves(S.Failed));
        Assert.Empty(RefundRequestStateMachine.AllowedMoves(S.Succeeded));
        Assert.Empty(RefundRequestStateMachine.AllowedMoves(S.Canceled));
        Assert.Equal([S.Succeeded, S.Failed, S.Rejected, S.Canceled], Enum.GetValues<S>().Where(RefundRequestStateMachine.IsTerminal));
    }

    [Theory]
    [InlineData(new PingppRefundStatus[0], S.Submitted)]
    [InlineData(new[] { PingppRefundStatus.Pending }, S.Submitted)]
    [InlineData(new[] { PingppRefundStatus.Succeeded, PingppRefundStatus.Pending }, S.Submitted)]
    [InlineData(new[] { PingppRefundStatus.Succeeded, PingppRefundStatus.Failed }, S.Succeeded)]
    [InlineData(new[] { PingppRefundStatus.Failed, PingppRefundStatus.Failed }, S.Failed)]
    public void Refund_statuses_imply_a_request_state(PingppRefundStatus[] statuses, S expected)
        => Assert.Equal(expected, RefundRequestStateMachine.StateForRefunds(statuses));

    [Theory]
    [InlineData(S.Received, 0, true)]
    [InlineData(S.Submitting, 1, true)]
    [InlineData(S.Submitted, 1, true)]
    [InlineData(S.DeadLettered, 0, false)]
    [InlineData(S.DeadLettered, 2, true)]
    [InlineData(S.Succeeded, 1, false)]
    [InlineData(S.Failed, 1, false)]
    [InlineData(S.Rejected, 0, false)]
    [InlineData(S.NeedsReview, 1, true)]
    public void Open_work_is_what_may_still_change_at_pingpp(S state, int attempt, bool open)
        => Assert.Equal(open, RefundRequestStateMachine.IsOpen(state, attempt));
}
