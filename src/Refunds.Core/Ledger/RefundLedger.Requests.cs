using Azure;
using Azure.Data.Tables;
using Refunds.Core.Pingpp;
using Refunds.Core.Storage;
using static Refunds.Core.Ledger.LedgerEntities;
using static Refunds.Core.Ledger.LedgerPartitionReader;

namespace Refunds.Core.Ledger;

/// <summary>A request's lifecycle after it is recorded: claims, the create's outcome and parking (operator moves: <c>.Operator.cs</c>).</summary>
public sealed partial class RefundLedger
{
    public async Task<RefundRequestRecord?> GetRequestAsync(string requestId, CancellationToken ct)
    {
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var partition = await ReadRequestPartitionAsync(table, requestId, ct).ConfigureAwait(false);
        return partition is null ? null : (await ReadRequestAsync(table, partition, requestId, ct).ConfigureAwait(false))?.Record;
    }

    public Task<SubmitClaim> TryBeginSubmitAsync(string requestId, DateTimeOffset now, TimeSpan lease, CancellationToken ct)
        => ClaimAsync(requestId, null, now, lease, markSend: false, ct);

    public Task<SubmitClaim> TryBeginSendAsync(RefundRequestRecord request, DateTimeOffset now, TimeSpan lease, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ClaimAsync(request.RequestId, request.OrderId, now, lease, markSend: true, ct);
    }

    private async Task<SubmitClaim> ClaimAsync(string requestId, string? orderId, DateTimeOffset now, TimeSpan lease, bool markSend, CancellationToken ct)
    {
        if (lease <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lease), "The lease must be positive.");
        }

        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var (partition, read) = await FindRequestAsync(table, requestId, orderId, ct).ConfigureAwait(false);
        return await OptimisticRetry.RunAsync<SubmitClaim>($"claim refund request {requestId}", async attempt =>
        {
            if (attempt > 0)
            {
                read = partition is null ? null : await ReadRequestAsync(table, partition, requestId, ct).ConfigureAwait(false);
            }

            if (read is not { } current)
            {
                return new SubmitClaim(SubmitClaimOutcome.NotFound, null);
            }

            var request = current.Record;
            switch (request.State)
            {
                case RefundRequestState.Submitting when request.LeaseUntil > now:
                    return new SubmitClaim(SubmitClaimOutcome.HeldByOther, request);
                case RefundRequestState.Received or RefundRequestState.Submitting:
                    break;
                default:
                    return new SubmitClaim(SubmitClaimOutcome.NotClaimable, request);
            }

            // The write-ahead of the create rides on the claim when nothing is in doubt yet (the caller sends at once);
            // an earlier uncertain create needs a listing first, and its own write-ahead later.
            var sendMarked = markSend && !request.Uncertain;
            var lockRead = sendMarked ? await ReadCreateLockAsync(table, partition!, requestId, ct).ConfigureAwait(false) : default;
            if (!lockRead.Free)
            {
                // Another request of the order has a create in doubt: nothing is sent for this one meanwhile.
                Log.CreateLockHeld(_logger, requestId, request.OrderId, lockRead.BlockedBy!);
                return new SubmitClaim(SubmitClaimOutcome.OrderBusy, request);
            }

            var (claimed, entry) = WithHistory(partition!, request with
            {
                State = RefundRequestState.Submitting,
                Attempt = request.Attempt + 1,
                SubmittingSince = now,
                LeaseUntil = now + lease,
                Uncertain = request.Uncertain || sendMarked,
                LastSendStartedAt = sendMarked ? now : request.LastSendStartedAt,
                UpdatedAt = Now,
            }, request.State, $"claimed, attempt {request.Attempt + 1}");
            if (request.State != claimed.State)
            {
                await _requestIndex.BeforeAsync(partition!, request.State, claimed, ct).ConfigureAwait(false);
            }

            try
            {
                List<TableTransactionAction> actions = [new(TableTransactionActionType.UpdateReplace, FromRequest(partition!, claimed), current.ETag), entry];
                if (sendMarked)
                {
                    actions.Add(lockRead.Take!);
                }

                var written = (await table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false)).Value[0];
                if (markSend && partition == request.OrderId)
                {
                    RememberWrite(claimed, written);
                }

                Log.RequestClaimed(_logger, requestId, request.OrderId, claimed.Attempt);
                if (request.State != claimed.State)
                {
                    await _requestIndex.AfterAsync(partition!, request.State, claimed, ct).ConfigureAwait(false);
                }

                return new SubmitClaim(SubmitClaimOutcome.Claimed, claimed) { SendMarked = sendMarked };
            }
            catch (RequestFailedException e) when (TableStatus.IsConcurrencyLoss(e))
            {
                return OptimisticRetry.Again;
            }
        }, ct).ConfigureAwait(false);
    }

    public Task<RequestUpdateResult> RecordSubmittedAsync(string requestId, IReadOnlyList<PingppRefund> refunds, CancellationToken ct)
        => RecordSubmittedAsync(requestId, null, refunds, ct);

    public Task<RequestUpdateResult> RecordSubmittedAsync(RefundRequestRecord request, IReadOnlyList<PingppRefund> refunds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        return RecordSubmittedAsync(request.RequestId, request.OrderId, refunds, ct);
    }

    private async Task<RequestUpdateResult> RecordSubmittedAsync(string requestId, string? orderId, IReadOnlyList<PingppRefund> refunds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(refunds);
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var (partition, read) = TakeRememberedWrite(requestId, orderId) is { } remembered
            ? (orderId, remembered)
            : await FindRequestAsync(table, requestId, orderId, ct).ConfigureAwait(false);
        if (partition is null || read is null)
        {
            return new RequestUpdateResult(RequestUpdateOutcome.NotFound, null);
        }

        // An open request keeps its index row (only a refresh deletes it, and only when nothing is open), so while the
        // request is as read, refunds may be written without indexing first. The transaction carries the request's
        // ETag; if it loses a race, the request may have closed meanwhile, and the retry indexes first.
        Task Index() => _openWork.UpsertAsync(partition, [$"request {requestId} submitted"], ct);
        var open = RefundRequestStateMachine.IsOpen(read.Value.Record.State, read.Value.Record.Attempt);
        if (!open)
        {
            await Index().ConfigureAwait(false);
        }

        // A request with no refund recorded yet (as of this read, which the transaction's ETag checks) normally
        // meets refunds the ledger has never seen: add them without reading first.
        var write = await WriteRefundsAsync(table, new RefundWritePlan(partition, requestId, refunds)
        {
            RequestRead = read,
            BeforeRetry = open ? Index : null,
            AssumeNewRefunds = read.Value.Record.RefundIds.Count == 0,
        }, ct).ConfigureAwait(false);
        foreach (var refund in write.Refunds)
        {
            await UpsertRefundLookupAsync(table, refund, partition, ct).ConfigureAwait(false);
        }

        // Work left open (a pending refund, a request not final) keeps its index row (the open request's, or the one
        // upserted above); only work that may have closed needs the refresh, a read of the whole order.
        var stillOpen = write.Refunds.Any(r => r.Status == PingppRefundStatus.Pending)
                        || (write.Request is { } after && RefundRequestStateMachine.IsOpen(after.State, after.Attempt));
        if (!stillOpen)
        {
            await RefreshOpenWorkAsync(partition, ct).ConfigureAwait(false);
        }

        return new RequestUpdateResult(write.RequestOutcome, write.Request);
    }

    public Task<RequestUpdateResult> RecordFailedAsync(string requestId, int attempt, string? code, string message, CancellationToken ct)
        => MutateRequestAsync(requestId, r => r.State == RefundRequestState.Submitting && r.Attempt == attempt
            ? r with
            {
                State = RefundRequestState.Failed,
                FailureCode = code,
                FailureMessage = message,
                LastError = code is null ? message : $"{code}: {message}",
                LeaseUntil = null,
                // Ping++ answered definitely (it did not perform this create). An earlier create in doubt stays in doubt.
                Uncertain = r.Uncertain && !(r.LastSendStartedAt is { } sent && r.SubmittingSince is { } claimed && sent >= claimed),
            }
            // Only the holder of this claim may end it: a stale holder must not overwrite a newer outcome.
            : null, ct, reason: "rejected by Ping++: " + (code is null ? message : $"{code}: {message}"));

    /// <summary>
    /// The write-ahead of a create with the order's create lock, as one transaction: only the holder of claim
    /// <paramref name="attempt"/> (still Submitting) succeeds. Blocked by another request's uncertain create →
    /// <see cref="RequestUpdateOutcome.NotAllowed"/> with the request unchanged (still this claim's).
    /// </summary>
    public Task<RequestUpdateResult> RecordSendStartingAsync(string requestId, int attempt, DateTimeOffset now, CancellationToken ct)
        => MutateRequestAsync(requestId, r => r.State == RefundRequestState.Submitting && r.Attempt == attempt
            ? r with { Uncertain = true, LastSendStartedAt = now }
            : null, ct, takeCreateLock: true);

    public Task<RequestUpdateResult> ReleaseClaimAsync(string requestId, int attempt, bool definitelyNotSent, string lastError, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lastError);
        return MutateRequestAsync(requestId, r =>
        {
            if (r.State != RefundRequestState.Submitting || r.Attempt != attempt)
            {
                return null;
            }

            // Only this claim's own write-ahead may be cleared: an uncertainty inherited from an earlier attempt stays
            // until a listing settles it.
            var ownSend = r.LastSendStartedAt is { } sent && r.SubmittingSince is { } claimed && sent >= claimed;
            return r with
            {
                State = RefundRequestState.Received,
                LeaseUntil = null,
                LastError = lastError,
                Uncertain = r.Uncertain && !(definitelyNotSent && ownSend),
            };
        }, ct, reason: "claim released: " + lastError);
    }

    public Task<RequestUpdateResult> RecordIgnoredMessageAsync(string requestId, string note, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(note);
        return MutateRequestAsync(requestId, r => r with { IgnoredMessages = r.IgnoredMessages + 1, LastIgnoredMessage = note }, ct);
    }

    public Task<RequestUpdateResult> RecordDeadLetteredAsync(string requestId, string lastError, CancellationToken ct)
        => MutateRequestAsync(requestId, r => r.State switch
        {
            RefundRequestState.DeadLettered => r,
            // A live claim may be calling Ping++ right now: its holder records the outcome, not the poison handler.
            RefundRequestState.Submitting when r.LeaseUntil > Now => null,
            _ => r with { State = RefundRequestState.DeadLettered, LastError = lastError, LeaseUntil = null },
        }, ct, reason: "poison message: " + lastError);

    public Task<RequestUpdateResult> RecordNeedsReviewAsync(string requestId, int? attempt, string reason, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reason);
        return MutateRequestAsync(requestId, r =>
        {
            var mayPark = attempt is { } a
                ? r.State == RefundRequestState.Submitting && r.Attempt == a
                : r.State == RefundRequestState.Received || (r.State == RefundRequestState.Submitting && !(r.LeaseUntil > Now));
            return mayPark ? r with { State = RefundRequestState.NeedsReview, LeaseUntil = null, LastError = "needs review: " + reason } : null;
        }, ct, reason: "needs review: " + reason);
    }

    /// <summary>
    /// Read-modify-write of one request with its ETag. <paramref name="change"/> returns the new record, or null when
    /// the change does not apply (<see cref="RequestUpdateOutcome.NotAllowed"/>); a state change must be allowed by
    /// <see cref="RefundRequestStateMachine"/>. With <paramref name="takeCreateLock"/> the write is the create's
    /// write-ahead: it takes the order's create lock in the same transaction (refused while another request holds it),
    /// and is written even when the record reads the same.
    /// </summary>
    private async Task<RequestUpdateResult> MutateRequestAsync(
        string requestId, Func<RefundRequestRecord, RefundRequestRecord?> change, CancellationToken ct, bool takeCreateLock = false, string? reason = null, string? actor = null)
    {
        TableKeys.RequireValidId(requestId, nameof(requestId));
        _claims.TryRemove(requestId, out _);
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var partition = await ReadRequestPartitionAsync(table, requestId, ct).ConfigureAwait(false);
        if (partition is null)
        {
            return new RequestUpdateResult(RequestUpdateOutcome.NotFound, null);
        }

        return await OptimisticRetry.RunAsync<RequestUpdateResult>($"update refund request {requestId}", async _ =>
        {
            if (await ReadRequestAsync(table, partition, requestId, ct).ConfigureAwait(false) is not { } read)
            {
                return new RequestUpdateResult(RequestUpdateOutcome.NotFound, null);
            }

            var current = read.Record;
            var next = change(current);
            if (next is null)
            {
                return new RequestUpdateResult(RequestUpdateOutcome.NotAllowed, current);
            }

            var lockRead = takeCreateLock ? await ReadCreateLockAsync(table, partition, requestId, ct).ConfigureAwait(false) : default;
            if (!lockRead.Free)
            {
                Log.CreateLockHeld(_logger, requestId, current.OrderId, lockRead.BlockedBy!);
                return new RequestUpdateResult(RequestUpdateOutcome.NotAllowed, current);
            }

            if (next == current && !takeCreateLock)
            {
                return new RequestUpdateResult(RequestUpdateOutcome.Unchanged, current);
            }

            if (next.State != current.State && !RefundRequestStateMachine.CanMove(current.State, next.State))
            {
                Log.MoveRefused(_logger, requestId, current.OrderId, current.State.ToString(), next.State.ToString());
                return new RequestUpdateResult(RequestUpdateOutcome.NotAllowed, current);
            }

            next = next with { UpdatedAt = Now };
            var moved = next.State != current.State;
            if (moved && RefundRequestStateMachine.IsOpen(next.State, int.MaxValue) && IsOrderPartition(partition))
            {
                await _openWork.UpsertAsync(partition, [$"request {requestId} {next.State}"], ct).ConfigureAwait(false);
            }

            if (next.State != current.State)
            {
                await _requestIndex.BeforeAsync(partition, current.State, next, ct).ConfigureAwait(false);
            }

            try
            {
                // A state change carries its history entry in the same transaction.
                TableTransactionAction? entry = null;
                if (moved)
                {
                    (next, entry) = WithHistory(partition, next, current.State, reason, actor);
                }

                if (takeCreateLock || entry is not null)
                {
                    List<TableTransactionAction> actions = [new(TableTransactionActionType.UpdateReplace, FromRequest(partition, next), read.ETag)];
                    actions.AddRange(new[] { entry, takeCreateLock ? lockRead.Take : null }.OfType<TableTransactionAction>());
                    await table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
                }
                else
                {
                    await table.UpdateEntityAsync(FromRequest(partition, next), read.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                }
            }
            catch (RequestFailedException e) when (TableStatus.IsConcurrencyLoss(e))
            {
                return OptimisticRetry.Again;
            }

            if (next.State != current.State)
            {
                Log.RequestMoved(_logger, requestId, current.OrderId, current.State.ToString(), next.State.ToString());
                await _requestIndex.AfterAsync(partition, current.State, next, ct).ConfigureAwait(false);
                await RefreshOpenWorkAsync(partition, ct).ConfigureAwait(false);
            }

            return new RequestUpdateResult(RequestUpdateOutcome.Updated, next);
        }, ct).ConfigureAwait(false);
    }
}
