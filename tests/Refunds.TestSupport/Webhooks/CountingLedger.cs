using System.Collections.Concurrent;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;

namespace Refunds.Functions.Tests.Webhooks;

/// <summary>The real ledger, passed through, with a record of every refund change it reported.</summary>
public sealed class CountingLedger(IRefundLedger inner) : IRefundLedger
{
    public ConcurrentQueue<RefundApplyResult> RefundApplies { get; } = new();

    public int RefundChanges => RefundApplies.Count(r => r.Changed);

    public async Task<RefundApplyResult> ApplyRefundAsync(PingppRefund refund, string? orderIdIfKnown, CancellationToken ct)
    {
        var result = await inner.ApplyRefundAsync(refund, orderIdIfKnown, ct);
        RefundApplies.Enqueue(result);
        return result;
    }

    public Task<CreateRequestResult> CreateRequestAsync(RefundRequestRecord request, CancellationToken ct) => inner.CreateRequestAsync(request, ct);
    public Task<RefundRequestRecord?> GetRequestAsync(string requestId, CancellationToken ct) => inner.GetRequestAsync(requestId, ct);
    public Task<SubmitClaim> TryBeginSubmitAsync(string requestId, DateTimeOffset now, TimeSpan lease, CancellationToken ct) => inner.TryBeginSubmitAsync(requestId, now, lease, ct);
    public Task<CreateRequestResult> CreateClaimedRequestAsync(RefundRequestRecord request, DateTimeOffset now, TimeSpan lease, CancellationToken ct) => inner.CreateClaimedRequestAsync(request, now, lease, ct);
    public Task<SubmitClaim> TryBeginSendAsync(RefundRequestRecord request, DateTimeOffset now, TimeSpan lease, CancellationToken ct) => inner.TryBeginSendAsync(request, now, lease, ct);
    public Task<RequestUpdateResult> RecordSubmittedAsync(string requestId, IReadOnlyList<PingppRefund> refunds, CancellationToken ct) => inner.RecordSubmittedAsync(requestId, refunds, ct);
    public Task<RequestUpdateResult> RecordSubmittedAsync(RefundRequestRecord request, IReadOnlyList<PingppRefund> refunds, CancellationToken ct) => inner.RecordSubmittedAsync(request, refunds, ct);
    public Task<RequestUpdateResult> RecordNeedsReviewAsync(string requestId, int? attempt, string reason, CancellationToken ct) => inner.RecordNeedsReviewAsync(requestId, attempt, reason, ct);

    public Task<RequestUpdateResult> RecordFailedAsync(string requestId, int attempt, string? code, string message, CancellationToken ct) => inner.RecordFailedAsync(requestId, attempt, code, message, ct);
    public Task<RequestUpdateResult> RecordRejectedAsync(RefundRejection rejection, CancellationToken ct) => inner.RecordRejectedAsync(rejection, ct);
    public Task<RequestUpdateResult> RecordDeadLetteredAsync(string requestId, string lastError, CancellationToken ct) => inner.RecordDeadLetteredAsync(requestId, lastError, ct);

    public Task<RequestUpdateResult> RecordSendStartingAsync(string requestId, int attempt, DateTimeOffset now, CancellationToken ct) => inner.RecordSendStartingAsync(requestId, attempt, now, ct);

    public Task<RequestUpdateResult> ReleaseClaimAsync(string requestId, int attempt, bool definitelyNotSent, string lastError, CancellationToken ct) => inner.ReleaseClaimAsync(requestId, attempt, definitelyNotSent, lastError, ct);

    public Task<RequestUpdateResult> RecordIgnoredMessageAsync(string requestId, string note, CancellationToken ct) => inner.RecordIgnoredMessageAsync(requestId, note, ct);

    public Task<IReadOnlyList<RefundRequestRecord>> ListRequestsInStateAsync(RefundRequestState state, int maxItems, CancellationToken ct) => inner.ListRequestsInStateAsync(state, maxItems, ct);
    public Task<RequestUpdateResult> ApplyOperatorMoveAsync(string requestId, OperatorMove move, string actor, string? reason, CancellationToken ct) => inner.ApplyOperatorMoveAsync(requestId, move, actor, reason, ct);

    public Task<RequestWithHistory?> GetRequestWithHistoryAsync(string requestId, CancellationToken ct) => inner.GetRequestWithHistoryAsync(requestId, ct);
    public Task<RefundRecord?> GetRefundAsync(string refundId, CancellationToken ct) => inner.GetRefundAsync(refundId, ct);
    public Task<OrderLedger> ListOrderAsync(string orderId, CancellationToken ct) => inner.ListOrderAsync(orderId, ct);
    public Task MarkOrderForReconciliationAsync(string orderId, string reason, CancellationToken ct) => inner.MarkOrderForReconciliationAsync(orderId, reason, ct);
    public Task RecordOrderRefundedAsync(PingppOrder order, CancellationToken ct) => inner.RecordOrderRefundedAsync(order, ct);
    public Task<bool> ClearReconciliationMarkAsync(string ledgerKey, DateTimeOffset markedAtOrBefore, CancellationToken ct) => inner.ClearReconciliationMarkAsync(ledgerKey, markedAtOrBefore, ct);
    public Task<OpenWorkPage> ListOpenWorkAsync(int maxItems, string? continuation, CancellationToken ct) => inner.ListOpenWorkAsync(maxItems, continuation, ct);
    public Task<bool> RefreshOpenWorkAsync(string ledgerKey, CancellationToken ct) => inner.RefreshOpenWorkAsync(ledgerKey, ct);
}
