using Microsoft.Extensions.Logging;
using Refunds.Core.Ledger;

namespace Refunds.Core.Refunds;

/// <summary>
/// Handles a message the host moved to <c>refund-requests-poison</c> after its last attempt: the request becomes
/// <see cref="RefundRequestState.DeadLettered"/> with its last error, unless it already got further (Submitted or a
/// terminal state: then only logged). A valid request that never reached the ledger is recorded first; an
/// unparseable message is recorded as rejected. A request whose claim is still live (a delivery may be calling Ping++
/// right now) is not dead-lettered under it: the poison message is retried later
/// (<see cref="RefundRetryLaterException"/>), by when the holder has recorded its outcome or its lease has run out.
/// Nothing is dropped; throws (retry) only then and when storage fails.
/// </summary>
public sealed partial class DeadLetterRecorder(IRequestStore ledger, RefundMetrics metrics, TimeProvider time, ILogger<DeadLetterRecorder> logger)
{
    public async Task<RefundRequestRecord?> RecordAsync(ReadOnlyMemory<byte> messageBody, string messageId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        var parsed = RefundRequestParser.Parse(messageBody.Span, messageId);
        if (!parsed.IsValid)
        {
            // The processor would have rejected it too; it only got here because recording failed every time.
            var rejected = await ledger.RecordRejectedAsync(new RefundRejection
            {
                Id = parsed.RequestId ?? messageId,
                OrderId = parsed.OrderId,
                Reasons = [.. parsed.Reasons.Select(r => r.ToString())],
                RawText = parsed.RawText,
            }, cancellationToken).ConfigureAwait(false);
            LogPoisonInvalid(logger, parsed.RequestId ?? messageId, messageId, rejected.Outcome.ToString());
            metrics.Rejected("invalid_poison");
            return rejected.Request;
        }

        var request = parsed.Request;
        var stored = (await ledger.CreateRequestAsync(request.ToLedgerRecord(), cancellationToken).ConfigureAwait(false)).Request;
        if (!string.Equals(stored.Fingerprint, request.Fingerprint, StringComparison.Ordinal))
        {
            // A message whose id belongs to another request was never going to be performed; the processor notes it.
            LogPoisonConflict(logger, request.RequestId, request.OrderId, messageId, stored.State.ToString());
            await ledger.RecordIgnoredMessageAsync(request.RequestId,
                $"poison message {messageId} reused this request id with different parameters | raw: {parsed.RawText}", cancellationToken).ConfigureAwait(false);
            return stored;
        }

        if (stored.State is RefundRequestState.Submitted or RefundRequestState.AwaitingApproval || RefundRequestStateMachine.IsTerminal(stored.State))
        {
            LogPoisonAlreadyDone(logger, request.RequestId, request.OrderId, messageId, stored.State.ToString());
            return stored;
        }

        if (stored is { State: RefundRequestState.Submitting, LeaseUntil: { } leaseUntil } && leaseUntil > time.GetUtcNow())
        {
            LogPoisonClaimLive(logger, request.RequestId, request.OrderId, messageId, stored.Attempt, leaseUntil);
            throw new RefundRetryLaterException(request.RequestId,
                $"Refund request {request.RequestId} is claimed until {leaseUntil:O} (attempt {stored.Attempt}); its poison message is handled after that.");
        }

        var lastError = stored.LastError ?? "no error recorded (the processor never reached Ping++: storage or host failures)";
        var result = await ledger.RecordDeadLetteredAsync(request.RequestId, lastError, cancellationToken).ConfigureAwait(false);
        if (result is { Outcome: RequestUpdateOutcome.NotAllowed, Request: { State: RefundRequestState.Submitting } claimedMeanwhile })
        {
            // Claimed between the read above and the write: the same as a live claim.
            throw new RefundRetryLaterException(request.RequestId,
                $"Refund request {request.RequestId} was claimed (attempt {claimedMeanwhile.Attempt}) while its poison message was handled; retried later.");
        }

        if (result.Outcome == RequestUpdateOutcome.Updated)
        {
            metrics.DeadLettered();
        }

        LogDeadLettered(logger, request.RequestId, request.OrderId, messageId, stored.Attempt, lastError, result.Outcome.ToString());
        return result.Request;
    }

    [LoggerMessage(3101, LogLevel.Error, "Refund request {RequestId} of order {OrderId} dead-lettered (poison message {MessageId}, {Attempt} claims): {LastError}; ledger {LedgerOutcome}")]
    private static partial void LogDeadLettered(ILogger logger, string requestId, string orderId, string messageId, int attempt, string lastError, string ledgerOutcome);

    [LoggerMessage(3102, LogLevel.Information, "Poison message {MessageId} for refund request {RequestId} of order {OrderId}: the request is already {State}; nothing to do")]
    private static partial void LogPoisonAlreadyDone(ILogger logger, string requestId, string orderId, string messageId, string state);

    [LoggerMessage(3103, LogLevel.Warning, "Poison message {MessageId} is not a valid refund request; recorded as rejected under {RequestId} (ledger {LedgerOutcome})")]
    private static partial void LogPoisonInvalid(ILogger logger, string requestId, string messageId, string ledgerOutcome);

    [LoggerMessage(3105, LogLevel.Information, "Poison message {MessageId} for refund request {RequestId} of order {OrderId}: claim {Attempt} is live until {LeaseUntil}; retried later, not dead-lettered")]
    private static partial void LogPoisonClaimLive(ILogger logger, string requestId, string orderId, string messageId, int attempt, DateTimeOffset leaseUntil);

    [LoggerMessage(3104, LogLevel.Error, "Poison message {MessageId} reuses refund request id {RequestId} (order {OrderId}) with different parameters; the stored request ({State}) stands")]
    private static partial void LogPoisonConflict(ILogger logger, string requestId, string orderId, string messageId, string state);
}
