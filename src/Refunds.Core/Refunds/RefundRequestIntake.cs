using Refunds.Core.Diagnostics;
using Refunds.Core.Ledger;

namespace Refunds.Core.Refunds;

public enum RefundSubmissionOutcome
{
    /// <summary>Invalid body/header: nothing recorded, answer 400 with the reasons.</summary>
    Invalid,

    /// <summary>Recorded now: Received and enqueued, or AwaitingApproval (over a limit; approval enqueues it).</summary>
    Accepted,

    /// <summary>The same request (id and parameters) was submitted before; its current state is returned.</summary>
    Existing,

    /// <summary>The request id is taken by a request with different parameters (or another order): answer 409.</summary>
    Conflict,
}

/// <summary>Result of <see cref="RefundRequestIntake.SubmitAsync"/>.</summary>
public sealed record RefundSubmission(
    RefundSubmissionOutcome Outcome,
    string? RequestId,
    RefundRequestRecord? Request,
    IReadOnlyList<RefundRequestRejectionReason> Reasons);

/// <summary>
/// <c>POST /api/orders/{orderId}/refunds</c>: validates synchronously, records the request in the ledger (Received, or
/// AwaitingApproval when over an approval limit: then nothing is enqueued) before enqueueing it, so the answer's status URL works at once and a lost enqueue is repaired by a repeat (same
/// <c>Idempotency-Key</c>) or by reconciliation, which re-enqueues requests stuck in Received.
/// </summary>
public sealed class RefundRequestIntake(IRequestStore ledger, RefundRequestQueue queue, TimeProvider time)
{
    /// <summary>
    /// A repeat enqueues again only when the request has stayed Received this long since it was recorded: its first
    /// enqueue was then most likely lost. Quick retries of a caller (the first message still queued) enqueue nothing.
    /// </summary>
    public static readonly TimeSpan RepeatEnqueueAfter = TimeSpan.FromMinutes(1);

    /// <param name="submittedBy">The caller (<c>entra:…</c> or <c>key:…</c>), stored on a new request; a repeat keeps the first submitter.</param>
    public async Task<RefundSubmission> SubmitAsync(
        ReadOnlyMemory<byte> body, string orderId, string? idempotencyKey, string submittedBy, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(submittedBy);
        using var activity = RefundsTracing.StartSubmit(orderId);
        var parsed = RefundRequestParser.ParseHttp(body.Span, orderId, idempotencyKey);
        activity?.SetTag(RefundsTracing.RequestId, parsed.RequestId);
        if (!parsed.IsValid)
        {
            return new RefundSubmission(RefundSubmissionOutcome.Invalid, parsed.RequestId, null, parsed.Reasons);
        }

        var request = parsed.Request;
        var created = await ledger.CreateRequestAsync(request.ToLedgerRecord() with { SubmittedBy = submittedBy }, cancellationToken).ConfigureAwait(false);
        if (!created.Created && !string.Equals(created.Request.Fingerprint, request.Fingerprint, StringComparison.Ordinal))
        {
            return new RefundSubmission(RefundSubmissionOutcome.Conflict, request.RequestId, created.Request, []);
        }

        // Enqueue also on a repeat still Received long after it was recorded: the first enqueue may have failed after
        // the ledger write. A request held for approval is not enqueued: approval does that.
        if (created.Request.State == RefundRequestState.Received && (created.Created || time.GetUtcNow() - created.Request.UpdatedAt >= RepeatEnqueueAfter))
        {
            await queue.EnqueueAsync(request, cancellationToken).ConfigureAwait(false);
        }

        return new RefundSubmission(created.Created ? RefundSubmissionOutcome.Accepted : RefundSubmissionOutcome.Existing, request.RequestId, created.Request, []);
    }
}
