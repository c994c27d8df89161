using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refunds.Core.Diagnostics;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;

namespace Refunds.Core.Refunds;

/// <summary>
/// Performs one delivery of a refund request message at Ping++ at most once per request id, following
/// docs/refund-protocol.md: validate → record → claim → (look up) → write-ahead → create → record the outcome.
/// Returns when the message may be completed; throws (<see cref="RefundRetryLaterException"/>, or a storage error)
/// when the queue must deliver it again.
/// </summary>
public sealed partial class RefundProcessor(
    IRefundLedger ledger,
    PingppClient pingpp,
    IOptions<RefundProcessingOptions> options,
    TimeProvider time,
    RefundMetrics metrics,
    ILogger<RefundProcessor> logger)
{
    private readonly RefundProcessingOptions _options = options.Value;

    public async Task<RefundProcessingOutcome> ProcessAsync(ReadOnlyMemory<byte> messageBody, string messageId, long dequeueCount, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        var parsed = RefundRequestParser.Parse(messageBody.Span, messageId);
        using var activity = RefundsTracing.StartProcess(messageId, dequeueCount, parsed.TraceContext);
        if (!parsed.IsValid)
        {
            return await RecordInvalidAsync(parsed, messageId, cancellationToken).ConfigureAwait(false);
        }

        var request = parsed.Request;
        var requestId = request.RequestId;
        activity?.SetTag(RefundsTracing.OrderId, request.OrderId).SetTag(RefundsTracing.RequestId, requestId);
        // A request seen for the first time is recorded already claimed, with the create's write-ahead: one write.
        CreateRequestResult created;
        using (RefundsTracing.StartLedgerWrite("create_claimed", requestId))
        {
            created = await ledger.CreateClaimedRequestAsync(request.ToLedgerRecord(), time.GetUtcNow(), _options.LeaseDuration, cancellationToken).ConfigureAwait(false);
        }

        var stored = created.Request;
        if (!created.Created && !string.Equals(stored.Fingerprint, request.Fingerprint, StringComparison.Ordinal))
        {
            LogConflict(logger, requestId, request.OrderId, stored.OrderId, messageId);
            metrics.Rejected("request_id_reused");
            await ledger.RecordIgnoredMessageAsync(requestId,
                $"request_id reused with different parameters (order {request.OrderId}, fingerprint {request.Fingerprint}); not performed | raw: {parsed.RawText}",
                cancellationToken).ConfigureAwait(false);
            return RefundProcessingOutcome.Conflict;
        }

        if (stored.State == RefundRequestState.AwaitingApproval)
        {
            // Safe in the ledger; the message completes. Approval enqueues the request again.
            LogAwaitingApproval(logger, requestId, request.OrderId, string.Join(",", stored.Approval?.Reasons ?? []), dequeueCount);
            return RefundProcessingOutcome.AwaitingApproval;
        }

        if (stored.State is not (RefundRequestState.Received or RefundRequestState.Submitting))
        {
            LogAlreadyHandled(logger, requestId, request.OrderId, stored.State.ToString(), dequeueCount);
            return RefundProcessingOutcome.AlreadyHandled;
        }

        // A new request is born claimed unless another request of its order has a create in doubt (then Received).
        var claim = created.Created && stored.State == RefundRequestState.Submitting
            ? new SubmitClaim(SubmitClaimOutcome.Claimed, stored) { SendMarked = true }
            : await ledger.TryBeginSendAsync(stored, time.GetUtcNow(), _options.LeaseDuration, cancellationToken).ConfigureAwait(false);
        switch (claim.Outcome)
        {
            case SubmitClaimOutcome.HeldByOther:
                metrics.RetryLater("claim_held");
                LogClaimHeld(logger, requestId, request.OrderId, claim.Request?.LeaseUntil, dequeueCount);
                throw new RefundRetryLaterException(requestId, $"Refund request {requestId} is being processed by another delivery (lease until {claim.Request?.LeaseUntil:O}).");
            case SubmitClaimOutcome.NotClaimable:
                LogAlreadyHandled(logger, requestId, request.OrderId, claim.Request!.State.ToString(), dequeueCount);
                return RefundProcessingOutcome.AlreadyHandled;
            case SubmitClaimOutcome.NotFound:
                throw new InvalidOperationException($"Refund request {requestId} vanished from the ledger after it was recorded.");
            case SubmitClaimOutcome.OrderBusy:
                throw OrderBusy(request, dequeueCount);
        }

        var claimed = claim.Request!;
        var attempt = claimed.Attempt;
        if (claim.MayHaveReachedPingpp)
        {
            if (await LookUpAsync(request, claimed, dequeueCount, cancellationToken).ConfigureAwait(false) is { } found)
            {
                return found;
            }
        }

        if (!claim.SendMarked)
        {
            var mark = await ledger.RecordSendStartingAsync(requestId, attempt, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            if (mark is { Outcome: RequestUpdateOutcome.NotAllowed, Request: { State: RefundRequestState.Submitting } still } && still.Attempt == attempt)
            {
                // Still ours, but another request of the order has a create in doubt: give the claim back, send nothing.
                await ReleaseQuietlyAsync(requestId, attempt, definitelyNotSent: true, "waiting: another request of the order has a create whose outcome is unknown").ConfigureAwait(false);
                throw OrderBusy(request, dequeueCount);
            }

            if (mark.Outcome != RequestUpdateOutcome.Updated)
            {
                // The lease ran out and another delivery took over (or the request moved on): it decides, not us.
                metrics.RetryLater("claim_lost");
                throw new RefundRetryLaterException(requestId, $"Refund request {requestId} lost its claim (attempt {attempt}) before sending; now {mark.Request?.State}.");
            }
        }

        LogCreating(logger, requestId, request.OrderId, attempt, dequeueCount);
        PingppList<PingppRefund> answer;
        try
        {
            answer = await pingpp.CreateOrderRefundAsync(request.OrderId, request.ToCreateOrderRefundRequest(), AnsweredBy(claimed), cancellationToken).ConfigureAwait(false);
        }
        catch (PingppException e) when (e.Kind == PingppErrorKind.Rejected)
        {
            using (RefundsTracing.StartLedgerWrite("record_failed", requestId))
            {
                await ledger.RecordFailedAsync(requestId, attempt, e.ErrorCode ?? e.ErrorType, e.Message, CancellationToken.None).ConfigureAwait(false);
            }

            metrics.Failed(e.ErrorCode);
            LogRejectedByPingpp(logger, requestId, request.OrderId, e.StatusCode, e.ErrorCode, attempt);
            return RefundProcessingOutcome.FailedAtPingpp;
        }
        catch (PingppException e)
        {
            var notSent = e.Kind is PingppErrorKind.RateLimited or PingppErrorKind.NotSent;
            if (e.StatusCode == 401)
            {
                // Clock skew or a rotated key affects every request alike: alert, retry, fail none of them.
                metrics.RetryLater("pingpp_unauthorized");
                LogUnauthorized(logger, requestId, request.OrderId, e.ErrorCode, attempt);
            }

            await ReleaseQuietlyAsync(requestId, attempt, notSent, RefundLastError.For("create", e)).ConfigureAwait(false);
            metrics.RetryLater(e.Kind.ToString());
            LogCreateNotFinished(logger, e, requestId, request.OrderId, e.Kind.ToString(), e.StatusCode, attempt, dequeueCount);
            throw new RefundRetryLaterException(requestId,
                $"Create for refund request {requestId} {(notSent ? "was not performed" : "has an unknown outcome")} ({e.Kind}); retry later.", e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not a Ping++ answer (e.g. a bug or resource failure around the call): whether it was sent is unknown.
            await ReleaseQuietlyAsync(requestId, attempt, definitelyNotSent: false, RefundLastError.Unexpected("create")).ConfigureAwait(false);
            throw;
        }

        if (answer.Data.Count == 0)
        {
            await ReleaseQuietlyAsync(requestId, attempt, definitelyNotSent: false, "create: Ping++ answered an empty list").ConfigureAwait(false);
            throw new RefundRetryLaterException(requestId, $"Ping++ answered the create of refund request {requestId} with no refund; looking it up on the next attempt.");
        }

        // A storage failure here leaves Uncertain set: the retry lists and adopts what was just created.
        using (RefundsTracing.StartLedgerWrite("record_submitted", requestId))
        {
            await ledger.RecordSubmittedAsync(claimed, answer.Data, cancellationToken).ConfigureAwait(false);
        }

        metrics.Created(answer.Data.Count, "created");
        LogCreated(logger, requestId, request.OrderId, string.Join(",", answer.Data.Select(r => r.Id)), string.Join(",", answer.Data.Select(r => r.Status)), attempt);
        return RefundProcessingOutcome.Created;
    }

    /// <summary>
    /// The create must be answered (or given up) while this delivery still holds its claim, with a margin for clock
    /// skew: once the lease has run out another delivery may claim, list, find nothing and create. A create that a slow
    /// Key Vault sign or a slow listing pushed past that point is not sent.
    /// </summary>
    private DateTimeOffset AnsweredBy(RefundRequestRecord claimed)
        => (claimed.LeaseUntil ?? time.GetUtcNow() + _options.LeaseDuration) - _options.LeaseMargin;

    /// <summary>
    /// <see cref="RefundProcessingOutcome.Adopted"/> when the refunds of an earlier attempt were found and recorded,
    /// <see cref="RefundProcessingOutcome.NeedsReview"/> when the order's refunds cannot tell (parked); null when a new
    /// create may go ahead.
    /// </summary>
    private async Task<RefundProcessingOutcome?> LookUpAsync(RefundRequest request, RefundRequestRecord claimed, long dequeueCount, CancellationToken cancellationToken)
    {
        var requestId = request.RequestId;
        IReadOnlyList<PingppRefund> all;
        try
        {
            all = await pingpp.ListAllOrderRefundsAsync(request.OrderId, cancellationToken).ConfigureAwait(false);
        }
        catch (PingppException e)
        {
            await ReleaseQuietlyAsync(requestId, claimed.Attempt, definitelyNotSent: false, RefundLastError.For("lookup", e)).ConfigureAwait(false);
            metrics.RetryLater("lookup_failed");
            LogLookupFailed(logger, e, requestId, request.OrderId, e.Kind.ToString(), e.StatusCode, claimed.Attempt);
            throw new RefundRetryLaterException(requestId, $"Listing the refunds of order {request.OrderId} failed ({e.Kind}); retry later.", e);
        }

        var mine = all.Where(r => string.Equals(r.RequestId, requestId, StringComparison.Ordinal)).ToList();
        if (mine.Count == 0 && all.Any(r => r.RequestId is null))
        {
            // Our marker is on no refund, but refunds without any marker exist: Ping++ may not have echoed our metadata.
            var ownedByOthers = (await ledger.ListOrderAsync(request.OrderId, cancellationToken).ConfigureAwait(false)).Refunds
                .Where(r => r.RequestId is not null && r.RequestId != requestId).Select(r => r.RefundId).ToHashSet(StringComparer.Ordinal);
            var match = UnmarkedRefundMatch.Find(claimed, all, ownedByOthers);
            if (match.ReviewReason is { } reason)
            {
                await ledger.RecordNeedsReviewAsync(requestId, claimed.Attempt, reason, cancellationToken).ConfigureAwait(false);
                metrics.Rejected("needs_review");
                LogNeedsReview(logger, requestId, request.OrderId, reason, claimed.Attempt);
                return RefundProcessingOutcome.NeedsReview;
            }

            mine = [.. match.Adopt];
        }

        if (mine.Count > 0)
        {
            await ledger.RecordSubmittedAsync(requestId, mine, cancellationToken).ConfigureAwait(false);
            metrics.Created(mine.Count, "adopted");
            LogAdopted(logger, requestId, request.OrderId, string.Join(",", mine.Select(r => r.Id)), claimed.Attempt);
            return RefundProcessingOutcome.Adopted;
        }

        var since = claimed.LastSendStartedAt ?? DateTimeOffset.MinValue;
        var waited = time.GetUtcNow() - since;
        if (waited < _options.CreateGracePeriod)
        {
            // Keep the create's own error as LastError: it is what a dead-lettered request must report.
            await ReleaseQuietlyAsync(requestId, claimed.Attempt, definitelyNotSent: false,
                claimed.LastError ?? $"outcome of the create started {since:O} unknown; waiting for the grace period ({_options.CreateGracePeriod})").ConfigureAwait(false);
            metrics.RetryLater("grace_period");
            LogWithinGrace(logger, requestId, request.OrderId, since, _options.CreateGracePeriod, claimed.Attempt, dequeueCount);
            throw new RefundRetryLaterException(requestId,
                $"No refund of request {requestId} listed yet; the uncertain create started {waited.TotalSeconds:F0} s ago, grace period {_options.CreateGracePeriod}.");
        }

        LogNotFoundAfterGrace(logger, requestId, request.OrderId, since, claimed.Attempt);
        return null;
    }

    private RefundRetryLaterException OrderBusy(RefundRequest request, long dequeueCount)
    {
        metrics.RetryLater("order_busy");
        LogOrderBusy(logger, request.RequestId, request.OrderId, dequeueCount);
        return new RefundRetryLaterException(request.RequestId,
            $"Another refund request of order {request.OrderId} has a create whose outcome is unknown; refund request {request.RequestId} waits (one create in flight per order).");
    }

    /// <summary>Release failures are logged, not thrown: the lease expires on its own, and the original error is what matters.</summary>
    private async Task ReleaseQuietlyAsync(string requestId, int attempt, bool definitelyNotSent, string lastError)
    {
        try
        {
            await ledger.ReleaseClaimAsync(requestId, attempt, definitelyNotSent, lastError, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogReleaseFailed(logger, e, requestId, attempt);
        }
    }

    private async Task<RefundProcessingOutcome> RecordInvalidAsync(RefundRequestParseResult parsed, string messageId, CancellationToken cancellationToken)
    {
        var id = parsed.RequestId ?? messageId;
        var reasons = parsed.Reasons.Select(r => r.ToString()).ToList();
        var result = await ledger.RecordRejectedAsync(new RefundRejection
        {
            Id = id,
            OrderId = parsed.OrderId,
            Reasons = reasons,
            RawText = parsed.RawText,
        }, cancellationToken).ConfigureAwait(false);
        metrics.Rejected(result.Outcome == RequestUpdateOutcome.NotAllowed ? "invalid_duplicate" : "invalid");
        LogInvalid(logger, id, parsed.OrderId, messageId, reasons.Count, string.Join(" | ", reasons), result.Outcome.ToString());
        return RefundProcessingOutcome.Rejected;
    }

    [LoggerMessage(3001, LogLevel.Warning, "Refund message {MessageId} rejected as request {RequestId} (order {OrderId}): {ReasonCount} reasons: {Reasons}; ledger {LedgerOutcome}")]
    private static partial void LogInvalid(ILogger logger, string requestId, string? orderId, string messageId, int reasonCount, string reasons, string ledgerOutcome);

    [LoggerMessage(3002, LogLevel.Error, "Refund request {RequestId} reused with different parameters (message order {OrderId}, stored order {StoredOrderId}, message {MessageId}): not performed")]
    private static partial void LogConflict(ILogger logger, string requestId, string orderId, string? storedOrderId, string messageId);

    [LoggerMessage(3003, LogLevel.Information, "Refund request {RequestId} of order {OrderId} is already {State}; nothing sent (delivery {DequeueCount})")]
    private static partial void LogAlreadyHandled(ILogger logger, string requestId, string orderId, string state, long dequeueCount);

    [LoggerMessage(3004, LogLevel.Information, "Refund request {RequestId} of order {OrderId} is claimed by another delivery until {LeaseUntil}; retry later (delivery {DequeueCount})")]
    private static partial void LogClaimHeld(ILogger logger, string requestId, string orderId, DateTimeOffset? leaseUntil, long dequeueCount);

    [LoggerMessage(3005, LogLevel.Information, "Creating refund for request {RequestId} of order {OrderId}, attempt {Attempt} (delivery {DequeueCount})")]
    private static partial void LogCreating(ILogger logger, string requestId, string orderId, int attempt, long dequeueCount);

    [LoggerMessage(3006, LogLevel.Information, "Refund request {RequestId} of order {OrderId} created refunds {RefundIds} ({Statuses}), attempt {Attempt}")]
    private static partial void LogCreated(ILogger logger, string requestId, string orderId, string refundIds, string statuses, int attempt);

    [LoggerMessage(3007, LogLevel.Warning, "Refund request {RequestId} of order {OrderId} rejected by Ping++ ({StatusCode}, code {ErrorCode}), attempt {Attempt}: Failed")]
    private static partial void LogRejectedByPingpp(ILogger logger, string requestId, string orderId, int? statusCode, string? errorCode, int attempt);

    [LoggerMessage(3008, LogLevel.Warning, "Create for refund request {RequestId} of order {OrderId} did not finish: {Kind} ({StatusCode}), attempt {Attempt} (delivery {DequeueCount}); retry later")]
    private static partial void LogCreateNotFinished(ILogger logger, Exception exception, string requestId, string orderId, string kind, int? statusCode, int attempt, long dequeueCount);

    [LoggerMessage(3009, LogLevel.Warning, "Listing refunds for request {RequestId} of order {OrderId} failed: {Kind} ({StatusCode}), attempt {Attempt}; retry later")]
    private static partial void LogLookupFailed(ILogger logger, Exception exception, string requestId, string orderId, string kind, int? statusCode, int attempt);

    [LoggerMessage(3010, LogLevel.Information, "Refund request {RequestId} of order {OrderId}: found refunds {RefundIds} of an earlier attempt; adopted, attempt {Attempt}")]
    private static partial void LogAdopted(ILogger logger, string requestId, string orderId, string refundIds, int attempt);

    [LoggerMessage(3011, LogLevel.Information, "Refund request {RequestId} of order {OrderId}: no refund listed yet for the create started {Since}; within the grace period {Grace}, attempt {Attempt} (delivery {DequeueCount}); retry later")]
    private static partial void LogWithinGrace(ILogger logger, string requestId, string orderId, DateTimeOffset since, TimeSpan grace, int attempt, long dequeueCount);

    [LoggerMessage(3012, LogLevel.Warning, "Refund request {RequestId} of order {OrderId}: no refund listed for the uncertain create started {Since}, grace period over; creating again, attempt {Attempt}")]
    private static partial void LogNotFoundAfterGrace(ILogger logger, string requestId, string orderId, DateTimeOffset since, int attempt);

    [LoggerMessage(3014, LogLevel.Information, "Refund request {RequestId} of order {OrderId} waits: another request of the order has a create whose outcome is unknown (delivery {DequeueCount})")]
    private static partial void LogOrderBusy(ILogger logger, string requestId, string orderId, long dequeueCount);

    [LoggerMessage(3015, LogLevel.Error, "Refund request {RequestId} of order {OrderId} parked for review (attempt {Attempt}): {Reason}; it is not created again automatically")]
    private static partial void LogNeedsReview(ILogger logger, string requestId, string orderId, string reason, int attempt);

    [LoggerMessage(3016, LogLevel.Critical, "Ping++ refused to authenticate the create of refund request {RequestId} of order {OrderId} (401, code {ErrorCode}), attempt {Attempt}: check the clock and the API key and signing key; the request is retried, not failed")]
    private static partial void LogUnauthorized(ILogger logger, string requestId, string orderId, string? errorCode, int attempt);

    [LoggerMessage(3017, LogLevel.Information, "Refund request {RequestId} of order {OrderId} awaits an operator's approval ({Reasons}); nothing sent, message completed (delivery {DequeueCount})")]
    private static partial void LogAwaitingApproval(ILogger logger, string requestId, string orderId, string reasons, long dequeueCount);

    [LoggerMessage(3013, LogLevel.Warning, "Releasing the claim of refund request {RequestId} (attempt {Attempt}) failed; it expires with its lease")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string requestId, int attempt);
}
