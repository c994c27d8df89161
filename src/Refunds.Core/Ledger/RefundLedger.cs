using System.Diagnostics.Metrics;
using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;
using Microsoft.Extensions.Logging;
using Refunds.Core.Configuration;
using Refunds.Core.Pingpp;
using Refunds.Core.Storage;
using static Refunds.Core.Ledger.LedgerEntities;

namespace Refunds.Core.Ledger;

/// <summary>
/// <see cref="IRefundLedger"/> on Table Storage: the ledger table (layout in <see cref="LedgerEntities"/>) and the
/// open-work index table.
/// </summary>
/// <remarks>
/// Concurrency: every update is read → decide → write with an ETag (the one read, or the one this instance's own last
/// write returned), retried on 412/409. Open-work index protocol: a change that may open work upserts the index row
/// before writing the ledger (crash safety); a change that may close work ends with <see cref="RefreshOpenWorkAsync"/>,
/// which upserts when work is open but deletes only with the ETag it read before reading the order's rows. So a
/// concurrent opener always leaves the row in place, and while a request is open its index row exists: changes that
/// keep it open need neither the upsert nor the refresh.
/// </remarks>
public sealed partial class RefundLedger : IRefundLedger
{
    /// <summary>The index is spread over this many partitions (<c>open-0</c>…).</summary>
    public const int IndexPartitionCount = 8;

    private const int MaxConcurrencyRetries = 64;
    private const int MaxReasons = 20;
    private const int MaxRememberedClaims = 4096;

    private readonly TableHandle _ledger;
    private readonly TableHandle _index;
    private readonly TimeProvider _time;
    private readonly ILogger<RefundLedger> _logger;
    private readonly LedgerMetrics _metrics;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (RefundRequestRecord Record, ETag ETag)> _claims = new(StringComparer.Ordinal);

    public RefundLedger(
        TableServiceClient service,
        TimeProvider time,
        ILogger<RefundLedger> logger,
        string ledgerTableName = StorageNames.RefundLedgerTable,
        string indexTableName = StorageNames.ReconcileIndexTable,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        _metrics = new LedgerMetrics(meterFactory);
        _ledger = new TableHandle(service, ledgerTableName);
        _index = new TableHandle(service, indexTableName);
        _time = time;
        _logger = logger;
    }

    private DateTimeOffset Now => _time.GetUtcNow();

    // ---------------------------------------------------------------- requests

    public Task<CreateRequestResult> CreateRequestAsync(RefundRequestRecord request, CancellationToken ct)
        => CreateAsync(request, null, ct);

    public Task<CreateRequestResult> CreateClaimedRequestAsync(RefundRequestRecord request, DateTimeOffset now, TimeSpan lease, CancellationToken ct)
    {
        if (lease <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lease), "The lease must be positive.");
        }

        return CreateAsync(request, (now, lease), ct);
    }

    private async Task<CreateRequestResult> CreateAsync(RefundRequestRecord request, (DateTimeOffset At, TimeSpan Lease)? claim, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var requestId = TableKeys.RequireValidId(request.RequestId, nameof(request));
        var orderId = TableKeys.RequireValidId(request.OrderId, nameof(request));
        var now = Now;
        var fresh = request with
        {
            State = RefundRequestState.Received,
            Attempt = 0,
            SubmittingSince = null,
            LeaseUntil = null,
            Uncertain = false,
            LastSendStartedAt = null,
            RefundIds = [],
            RejectionReasons = [],
            RawText = null,
            CreatedAt = now,
            UpdatedAt = now,
        };
        // Born claimed for a send that starts now: what TryBeginSendAsync would write next, in the creating write.
        static RefundRequestRecord Claimed(RefundRequestRecord r, (DateTimeOffset At, TimeSpan Lease) c) => r with
        {
            State = RefundRequestState.Submitting,
            Attempt = 1,
            SubmittingSince = c.At,
            LeaseUntil = c.At + c.Lease,
            Uncertain = true,
            LastSendStartedAt = c.At,
        };

        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        for (var attempt = 0; attempt < MaxConcurrencyRetries; attempt++)
        {
            // The lookup row is the arbiter of request-id uniqueness across orders.
            var lookup = new TableEntity(RequestLookupPartition(requestId), LookupRow) { ["Partition"] = orderId };
            try
            {
                await table.AddEntityAsync(lookup, ct).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (TableStatus.IsConflict(e))
            {
                var existingLookup = await table.GetEntityIfExistsAsync<TableEntity>(RequestLookupPartition(requestId), LookupRow, cancellationToken: ct).ConfigureAwait(false);
                if (!existingLookup.HasValue)
                {
                    continue;
                }

                var existingPartition = existingLookup.Value!.GetString("Partition")!;
                var existing = await ReadRequestAsync(table, existingPartition, requestId, ct).ConfigureAwait(false);
                if (existing is { Record: { State: RefundRequestState.Rejected, Fingerprint: null } rejected } && existingPartition != orderId)
                {
                    // A validation rejection filed elsewhere (no usable order id then): point the lookup at the order,
                    // then drop the old row. A crash in between leaves an unreferenced row, never two requests.
                    try
                    {
                        await table.UpdateEntityAsync(lookup, existingLookup.Value.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                    }
                    catch (RequestFailedException e2) when (TableStatus.IsConcurrencyLoss(e2))
                    {
                        continue;
                    }

                    await table.DeleteEntityAsync(existingPartition, RequestRowKey(requestId), existing.Value.ETag, ct).ConfigureAwait(false);
                    Log.RejectionReplaced(_logger, requestId, orderId, rejected.RejectionReasons.Count);
                    fresh = fresh with { LastIgnoredMessage = ReplacedNote(rejected), IgnoredMessages = rejected.IgnoredMessages + 1 };
                }
                else if (existingPartition != orderId)
                {
                    return existing is not null
                        ? new CreateRequestResult(false, existing.Value.Record)
                        : throw new InvalidOperationException($"Refund request id {requestId} is already taken by another order.");
                }
            }

            // Born claimed only while no other request of the order has a create in doubt (one create in flight per
            // order); otherwise recorded as Received, and the processor's claim waits for the order.
            var lockRead = claim is null ? default : await ReadCreateLockAsync(table, orderId, requestId, ct).ConfigureAwait(false);
            var born = claim is { } c && lockRead.Free ? Claimed(fresh, c) : fresh;
            if (claim is not null && !lockRead.Free)
            {
                Log.CreateLockHeld(_logger, requestId, orderId, lockRead.BlockedBy!);
            }

            await UpsertIndexAsync(orderId, [$"request {requestId} {born.State}"], ct).ConfigureAwait(false);
            try
            {
                List<TableTransactionAction> actions = [MembersAction(orderId, [RequestRowKey(requestId)]), new(TableTransactionActionType.Add, FromRequest(orderId, born))];
                if (born.Uncertain)
                {
                    actions.Add(lockRead.Take!);
                }

                var responses = await table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
                if (born.Uncertain)
                {
                    RememberWrite(born, responses.Value[1]);
                }
            }
            catch (RequestFailedException e) when (TableStatus.IsPreconditionFailed(e))
            {
                // The create lock changed since it was read.
                await BackOffAsync(attempt, ct).ConfigureAwait(false);
                continue;
            }
            catch (RequestFailedException e) when (IsMembersOverflow(e))
            {
                await OverflowMembersAsync(table, orderId, ct).ConfigureAwait(false);
                continue;
            }
            catch (RequestFailedException e) when (TableStatus.IsConflict(e))
            {
                var existing = await ReadRequestAsync(table, orderId, requestId, ct).ConfigureAwait(false);
                if (existing is { Record: { State: RefundRequestState.Rejected, Fingerprint: null } rejected } read)
                {
                    var replacement = fresh with { LastIgnoredMessage = ReplacedNote(rejected), IgnoredMessages = rejected.IgnoredMessages + 1 };
                    try
                    {
                        await table.UpdateEntityAsync(FromRequest(orderId, replacement), read.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                    }
                    catch (RequestFailedException e2) when (TableStatus.IsConcurrencyLoss(e2))
                    {
                        await BackOffAsync(attempt, ct).ConfigureAwait(false);
                        continue;
                    }

                    Log.RejectionReplaced(_logger, requestId, orderId, rejected.RejectionReasons.Count);
                    await RefreshOpenWorkAsync(orderId, ct).ConfigureAwait(false);
                    return new CreateRequestResult(true, replacement);
                }

                await RefreshOpenWorkAsync(orderId, ct).ConfigureAwait(false);
                if (existing is null)
                {
                    continue;
                }

                return new CreateRequestResult(false, existing.Value.Record);
            }

            // A new request is open work, indexed above: nothing for a refresh to change.
            Log.RequestCreated(_logger, requestId, orderId);
            if (born.Uncertain)
            {
                Log.RequestClaimed(_logger, requestId, orderId, born.Attempt);
            }

            return new CreateRequestResult(true, born);
        }

        throw new InvalidOperationException($"Could not record refund request {requestId}: too much contention.");
    }

    private static string ReplacedNote(RefundRequestRecord rejected)
        => "replaced an earlier validation rejection: " + string.Join("; ", rejected.RejectionReasons)
           + (rejected.RawText is null ? "" : " | raw: " + rejected.RawText);

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
        for (var attempt = 0; attempt < MaxConcurrencyRetries; attempt++)
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

            var claimed = request with
            {
                State = RefundRequestState.Submitting,
                Attempt = request.Attempt + 1,
                SubmittingSince = now,
                LeaseUntil = now + lease,
                Uncertain = request.Uncertain || sendMarked,
                LastSendStartedAt = sendMarked ? now : request.LastSendStartedAt,
                UpdatedAt = Now,
            };
            try
            {
                var update = new TableTransactionAction(TableTransactionActionType.UpdateReplace, FromRequest(partition!, claimed), current.ETag);
                var written = sendMarked
                    ? (await table.SubmitTransactionAsync([update, lockRead.Take!], ct).ConfigureAwait(false)).Value[0]
                    : await table.UpdateEntityAsync(FromRequest(partition!, claimed), current.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                if (markSend && partition == request.OrderId)
                {
                    RememberWrite(claimed, written);
                }

                Log.RequestClaimed(_logger, requestId, request.OrderId, claimed.Attempt);
                return new SubmitClaim(SubmitClaimOutcome.Claimed, claimed) { SendMarked = sendMarked };
            }
            catch (RequestFailedException e) when (TableStatus.IsConcurrencyLoss(e))
            {
                await BackOffAsync(attempt, ct).ConfigureAwait(false);
            }
        }

        throw new InvalidOperationException($"Could not claim refund request {requestId}: too much contention.");
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
        Task Index() => UpsertIndexAsync(partition, [$"request {requestId} submitted"], ct);
        var open = RefundRequestStateMachine.IsOpen(read.Value.Record.State, read.Value.Record.Attempt);
        if (!open)
        {
            await Index().ConfigureAwait(false);
        }

        // A request with no refund recorded yet (as of this read, which the transaction's ETag checks) normally
        // meets refunds the ledger has never seen: add them without reading first.
        var write = await WriteRefundsAsync(table, partition, requestId, refunds, external: false, seed: null, ct, read, open ? Index : null,
            assumeNewRefunds: read.Value.Record.RefundIds.Count == 0).ConfigureAwait(false);
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
            : null, ct);

    public Task<RequestUpdateResult> RecordSendStartingAsync(string requestId, int attempt, DateTimeOffset now, CancellationToken ct)
        => RecordSendStartingLockedAsync(requestId, attempt, now, ct);

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
        }, ct);
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
        }, ct);

    public Task<RequestUpdateResult> RecordNeedsReviewAsync(string requestId, int? attempt, string reason, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reason);
        return MutateRequestAsync(requestId, r =>
        {
            var mayPark = attempt is { } a
                ? r.State == RefundRequestState.Submitting && r.Attempt == a
                : r.State == RefundRequestState.Received || (r.State == RefundRequestState.Submitting && !(r.LeaseUntil > Now));
            return mayPark ? r with { State = RefundRequestState.NeedsReview, LeaseUntil = null, LastError = "needs review: " + reason } : null;
        }, ct);
    }

    public Task<RequestUpdateResult> RequeueDeadLetteredAsync(string requestId, string requestedBy, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestedBy);
        var action = new OperatorAction(OperatorAction.Requeue, requestedBy, Now);
        return ChangeRequestAsync(requestId, RefundRequestState.Received,
            r => r with { OperatorActions = [.. r.OperatorActions.TakeLast(OperatorAction.MaxKept - 1), action] }, ct, onlyFrom: RefundRequestState.DeadLettered);
    }

    public async Task<RequestUpdateResult> RecordRejectedAsync(RefundRejection rejection, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        var id = TableKeys.RequireValidId(rejection.Id, nameof(rejection));
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        if (await ReadRequestPartitionAsync(table, id, ct).ConfigureAwait(false) is not null)
        {
            var refused = false;
            var result = await MutateRequestAsync(id, r =>
            {
                if (r.State == RefundRequestState.Rejected)
                {
                    return r with { RejectionReasons = rejection.Reasons, RawText = rejection.RawText };
                }

                // A valid request stands: an invalid message with its id is noted on it, not allowed to end it.
                refused = true;
                return r with
                {
                    IgnoredMessages = r.IgnoredMessages + 1,
                    LastIgnoredMessage = "invalid message with this request id: " + string.Join("; ", rejection.Reasons)
                                         + (rejection.RawText is null ? "" : " | raw: " + rejection.RawText),
                };
            }, ct).ConfigureAwait(false);
            return refused ? result with { Outcome = RequestUpdateOutcome.NotAllowed } : result;
        }

        var partition = TableKeys.IsValidId(rejection.OrderId) ? rejection.OrderId! : RejectedPrefix + id;
        var now = Now;
        var record = new RefundRequestRecord
        {
            RequestId = id,
            OrderId = TableKeys.IsValidId(rejection.OrderId) ? rejection.OrderId : null,
            State = RefundRequestState.Rejected,
            RejectionReasons = rejection.Reasons,
            RawText = rejection.RawText,
            CreatedAt = now,
            UpdatedAt = now,
        };
        try
        {
            await table.AddEntityAsync(new TableEntity(RequestLookupPartition(id), LookupRow) { ["Partition"] = partition }, ct).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (TableStatus.IsConflict(e))
        {
            // Raced with another writer of the same id: let the state machine decide on the existing record.
            return await RecordRejectedAsync(rejection, ct).ConfigureAwait(false);
        }

        await ListMembersAsync(table, partition, [RequestRowKey(id)], ct).ConfigureAwait(false);
        try
        {
            await table.AddEntityAsync(FromRequest(partition, record), ct).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (TableStatus.IsConflict(e))
        {
            return new RequestUpdateResult(RequestUpdateOutcome.Unchanged, (await ReadRequestAsync(table, partition, id, ct).ConfigureAwait(false))?.Record);
        }

        Log.RequestRejected(_logger, id, record.OrderId, rejection.Reasons.Count);
        return new RequestUpdateResult(RequestUpdateOutcome.Updated, record);
    }

    // ---------------------------------------------------------------- refunds

    public async Task<RefundApplyResult> ApplyRefundAsync(PingppRefund refund, string? orderIdIfKnown, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(refund);
        var refundId = TableKeys.RequireValidId(refund.Id, nameof(refund));
        if (orderIdIfKnown is not null)
        {
            TableKeys.RequireValidId(orderIdIfKnown, nameof(orderIdIfKnown));
        }

        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        string partition;
        string? requestId = null;
        string? adoptedFrom = null;
        RefundRecord? seed = null;

        var lookup = await table.GetEntityIfExistsAsync<TableEntity>(RefundLookupPartition(refundId), LookupRow, cancellationToken: ct).ConfigureAwait(false);
        if (lookup.HasValue)
        {
            partition = lookup.Value!.GetString("Partition")!;
            requestId = lookup.Value.GetString("RequestId");
            if (IsOrphanPartition(partition) && orderIdIfKnown is not null)
            {
                // The order of an external refund became known: move the refund into the order's partition.
                adoptedFrom = partition;
                var orphan = await table.GetEntityIfExistsAsync<TableEntity>(partition, RefundRowKey(refundId), cancellationToken: ct).ConfigureAwait(false);
                seed = orphan.HasValue ? ToRefund(orphan.Value!) with { OrderId = orderIdIfKnown } : null;
                partition = orderIdIfKnown;
            }
        }
        else if (refund.RequestId is { } metadataRequestId && TableKeys.IsValidId(metadataRequestId)
                 && await ReadRequestPartitionAsync(table, metadataRequestId, ct).ConfigureAwait(false) is { } requestPartition
                 && IsOrderPartition(requestPartition))
        {
            partition = requestPartition;
            requestId = metadataRequestId;
        }
        else
        {
            partition = orderIdIfKnown ?? OrphanPartition(refundId);
        }

        if (requestId is null && IsOrderPartition(partition)
            && await table.GetEntityIfExistsAsync<TableEntity>(partition, RefundRowKey(refundId), cancellationToken: ct).ConfigureAwait(false) is { HasValue: true } known)
        {
            // The order's row may already link it to a request (adopted without our marker) while the lookup row was
            // last written by a report without it: the request still follows its refund.
            requestId = ToRefund(known.Value!).RequestId;
        }

        var external = requestId is null;
        var orphanNow = IsOrphanPartition(partition);
        var indexed = refund.Status == PingppRefundStatus.Pending || orphanNow;
        if (indexed)
        {
            await UpsertIndexAsync(partition, [$"refund {refundId} {refund.Status}"], ct, orphanNow ? refundId : null, refund.Charge).ConfigureAwait(false);
        }

        var write = await WriteRefundsAsync(table, partition, requestId, [refund], external, seed, ct).ConfigureAwait(false);
        var result = write.Refunds[0];
        if (!(lookup.HasValue && lookup.Value!.GetString("Partition") == partition && lookup.Value.GetString("RequestId") == result.RequestId))
        {
            await UpsertRefundLookupAsync(table, result, partition, ct).ConfigureAwait(false);
        }

        if (orphanNow && !write.Existed)
        {
            await UpdateOrderRowAsync(table, partition, refundId, MarkChange($"external refund {refundId} of an unknown order"), ct).ConfigureAwait(false);
        }

        if (write.NewConflict)
        {
            Log.RefundStatusConflict(_logger, refundId, result.OrderId, refund.Status.ToString(), result.Status.ToString());
            await UpdateOrderRowAsync(table, partition, result.OrderId ?? refundId, MarkChange($"refund {refundId} reported {refund.Status} after {result.Status}"), ct).ConfigureAwait(false);
        }

        if (adoptedFrom is not null)
        {
            await DeletePartitionAsync(table, adoptedFrom, ct).ConfigureAwait(false);
            await RefreshOpenWorkAsync(adoptedFrom, ct).ConfigureAwait(false);
        }

        // A final report that changed nothing (a redelivery) can neither close nor open work: skip the refresh, a read
        // of the whole order. After a change, or after the upsert above (which may have opened a closed order), refresh.
        if (indexed || write.RefundChanged || write.RequestOutcome == RequestUpdateOutcome.Updated || write.NewConflict || adoptedFrom is not null)
        {
            await RefreshOpenWorkAsync(partition, ct).ConfigureAwait(false);
        }

        var outcome = !write.Existed ? RefundApplyOutcome.Created : write.RefundChanged ? RefundApplyOutcome.Updated : RefundApplyOutcome.Unchanged;
        Log.RefundApplied(_logger, refundId, result.OrderId, result.RequestId, result.Status.ToString(), outcome.ToString());
        return new RefundApplyResult(outcome, result);
    }

    public async Task<RefundRecord?> GetRefundAsync(string refundId, CancellationToken ct)
    {
        TableKeys.RequireValidId(refundId, nameof(refundId));
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var lookup = await table.GetEntityIfExistsAsync<TableEntity>(RefundLookupPartition(refundId), LookupRow, cancellationToken: ct).ConfigureAwait(false);
        if (!lookup.HasValue)
        {
            return null;
        }

        var row = await table.GetEntityIfExistsAsync<TableEntity>(lookup.Value!.GetString("Partition"), RefundRowKey(refundId), cancellationToken: ct).ConfigureAwait(false);
        return row.HasValue ? ToRefund(row.Value!) : null;
    }

    // ---------------------------------------------------------------- orders

    public async Task<OrderLedger> ListOrderAsync(string orderId, CancellationToken ct)
    {
        TableKeys.RequireValidId(orderId, nameof(orderId));
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var rows = await ReadLedgerRowsAsync(table, orderId, ct).ConfigureAwait(false);
        return new OrderLedger(
            orderId,
            rows.Where(r => Kind(r) == "order").Select(ToOrder).FirstOrDefault(),
            [.. rows.Where(r => Kind(r) == "request").Select(ToRequest)],
            [.. rows.Where(r => Kind(r) == "refund").Select(ToRefund)]);
    }

    public async Task<IReadOnlyList<RefundRequestRecord>> ListRequestsInStateAsync(RefundRequestState state, int maxItems, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItems, 1);
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"Kind eq {"request"} and State eq {state.ToString()}");
        var found = new List<RefundRequestRecord>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
        {
            found.Add(ToRequest(row));
            if (found.Count >= maxItems)
            {
                break;
            }
        }

        return found;
    }

    public async Task MarkOrderForReconciliationAsync(string orderId, string reason, CancellationToken ct)
    {
        TableKeys.RequireValidId(orderId, nameof(orderId));
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        await UpsertIndexAsync(orderId, [reason], ct).ConfigureAwait(false);
        await UpdateOrderRowAsync(table, orderId, orderId, MarkChange(reason), ct).ConfigureAwait(false);
        Log.OrderMarked(_logger, orderId, reason);
        await RefreshOpenWorkAsync(orderId, ct).ConfigureAwait(false);
    }

    public async Task RecordOrderRefundedAsync(PingppOrder order, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(order);
        var orderId = TableKeys.RequireValidId(order.Id, nameof(order));
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        const string reason = "order.refunded";
        await UpsertIndexAsync(orderId, [reason], ct).ConfigureAwait(false);
        var mark = MarkChange(reason);
        await UpdateOrderRowAsync(table, orderId, orderId, known =>
        {
            var marked = mark(known)!;
            return marked with
            {
                PingppStatus = order.Status ?? marked.PingppStatus,
                Paid = order.Paid,
                Refunded = order.Refunded,
                ActualAmount = order.ActualAmount,
                // Events can arrive out of order; amounts Ping++ reports only grow.
                AmountPaid = Math.Max(order.AmountPaid, known?.AmountPaid ?? 0),
                AmountRefunded = Math.Max(order.AmountRefunded, known?.AmountRefunded ?? 0),
            };
        }, ct).ConfigureAwait(false);
        Log.OrderMarked(_logger, orderId, reason);
        await RefreshOpenWorkAsync(orderId, ct).ConfigureAwait(false);
    }

    public async Task<bool> ClearReconciliationMarkAsync(string ledgerKey, DateTimeOffset markedAtOrBefore, CancellationToken ct)
    {
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var cleared = false;
        await UpdateOrderRowAsync(table, ledgerKey, ledgerKey, known =>
        {
            if (known is not { NeedsReconciliation: true } || known.MarkedAt > markedAtOrBefore)
            {
                return null;
            }

            cleared = true;
            return known with { NeedsReconciliation = false, ReconciliationReasons = [] };
        }, ct).ConfigureAwait(false);
        await RefreshOpenWorkAsync(ledgerKey, ct).ConfigureAwait(false);
        return cleared;
    }

    // ---------------------------------------------------------------- open-work index

    public async Task<OpenWorkPage> ListOpenWorkAsync(int maxItems, string? continuation, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItems, 1);
        var index = await _index.GetAsync(ct).ConfigureAwait(false);
        var (bucket, token) = ParseContinuation(continuation);
        var items = new List<OpenWorkItem>();
        while (bucket < IndexPartitionCount && items.Count < maxItems)
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {IndexPartition(bucket)}");
            var pages = index.QueryAsync<TableEntity>(filter, maxPerPage: maxItems - items.Count, cancellationToken: ct).AsPages(token, maxItems - items.Count);
            Page<TableEntity>? page = null;
            await foreach (var p in pages.ConfigureAwait(false))
            {
                page = p;
                break;
            }

            items.AddRange((page?.Values ?? []).Select(ToOpenWorkItem));
            token = page?.ContinuationToken;
            if (token is null)
            {
                bucket++;
            }
        }

        var next = bucket >= IndexPartitionCount ? null : $"{bucket}:{token}";
        return new OpenWorkPage(items, next);
    }

    public async Task<bool> RefreshOpenWorkAsync(string ledgerKey, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(ledgerKey);
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var index = await _index.GetAsync(ct).ConfigureAwait(false);
        var indexPartition = IndexPartition(TableKeys.Bucket(ledgerKey, IndexPartitionCount));

        // Read the index row (and its ETag) BEFORE scanning: a delete must lose to any upsert that happened since.
        var existing = await index.GetEntityIfExistsAsync<TableEntity>(indexPartition, ledgerKey, cancellationToken: ct).ConfigureAwait(false);
        var rows = await ReadLedgerRowsAsync(table, ledgerKey, ct).ConfigureAwait(false);
        var reasons = new List<string>();
        string? orphanRefund = null;
        string? charge = null;
        foreach (var row in rows)
        {
            switch (Kind(row))
            {
                case "request":
                    var request = ToRequest(row);
                    if (RefundRequestStateMachine.IsOpen(request.State, request.Attempt))
                    {
                        reasons.Add($"request {request.RequestId} {request.State}");
                    }

                    break;
                case "refund":
                    var refund = ToRefund(row);
                    if (IsOrphanPartition(ledgerKey))
                    {
                        orphanRefund = refund.RefundId;
                        charge = refund.ChargeId;
                    }

                    if (refund.Status == PingppRefundStatus.Pending)
                    {
                        reasons.Add($"refund {refund.RefundId} pending");
                    }

                    break;
                case "order":
                    var order = ToOrder(row);
                    if (order.NeedsReconciliation)
                    {
                        reasons.AddRange(order.ReconciliationReasons.DefaultIfEmpty("marked"));
                    }

                    break;
            }
        }

        if (reasons.Count > 0)
        {
            await UpsertIndexAsync(ledgerKey, reasons, ct, orphanRefund, charge).ConfigureAwait(false);
            return true;
        }

        if (existing.HasValue)
        {
            try
            {
                await index.DeleteEntityAsync(indexPartition, ledgerKey, existing.Value!.ETag, ct).ConfigureAwait(false);
                Log.OpenWorkClosed(_logger, ledgerKey);
            }
            catch (RequestFailedException e) when (e.Status is TableStatus.PreconditionFailed or TableStatus.NotFound)
            {
                // Someone opened work (or closed it) meanwhile; their refresh decides.
            }
        }

        return false;
    }

    // ---------------------------------------------------------------- internals

    private sealed record RefundWrite(
        IReadOnlyList<RefundRecord> Refunds,
        bool Existed,
        bool RefundChanged,
        bool NewConflict,
        RequestUpdateOutcome RequestOutcome,
        RefundRequestRecord? Request,
        IReadOnlyList<RefundRecord> SettledNow);

    /// <summary>
    /// Merges refund reports into one partition and moves their request (if any) to the state the refunds imply, in one
    /// entity-group transaction guarded by the ETags read.
    /// </summary>
    private async Task<RefundWrite> WriteRefundsAsync(
        TableClient table, string partition, string? requestId, IReadOnlyList<PingppRefund> reports, bool external, RefundRecord? seed, CancellationToken ct,
        (RefundRequestRecord Record, ETag ETag)? requestRead = null, Func<Task>? beforeRetry = null, bool assumeNewRefunds = false)
    {
        var distinct = reports.DistinctBy(r => r.Id).ToList();
        foreach (var report in distinct)
        {
            TableKeys.RequireValidId(report.Id, nameof(reports));
        }

        var orderId = IsOrderPartition(partition) ? partition : null;
        for (var attempt = 0; attempt < MaxConcurrencyRetries; attempt++)
        {
            if (attempt > 0 && beforeRetry is not null)
            {
                await beforeRetry().ConfigureAwait(false);
            }

            var now = Now;
            var actions = new List<TableTransactionAction>();
            var merged = new List<RefundRecord>();
            var existed = true;
            var changed = false;
            var newConflict = false;
            var settledNow = new List<RefundRecord>();
            foreach (var report in distinct)
            {
                // Refunds the caller expects to be new are added without a read first: an Add that meets an existing
                // row fails the transaction (409) and the retry reads.
                var row = attempt == 0 && assumeNewRefunds
                    ? null
                    : (await table.GetEntityIfExistsAsync<TableEntity>(partition, RefundRowKey(report.Id), cancellationToken: ct).ConfigureAwait(false)) is { HasValue: true } found ? found.Value : null;
                var known = row is not null ? ToRefund(row) : seed;
                var next = RefundStatusRules.Merge(known, report, orderId, requestId, external) with { OrderId = known?.OrderId ?? orderId };
                if (next.Status != PingppRefundStatus.Pending && next.Status != known?.Status)
                {
                    settledNow.Add(next);
                }

                if (known is null)
                {
                    existed = false;
                    next = next with { FirstSeenAt = now, UpdatedAt = now };
                    actions.Add(new TableTransactionAction(TableTransactionActionType.Add, FromRefund(partition, next)));
                    changed = true;
                }
                else if (next != known || row is null)
                {
                    newConflict |= next.StatusConflict && !known.StatusConflict;
                    next = next with { UpdatedAt = now };
                    actions.Add(row is not null
                        ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, FromRefund(partition, next), row.ETag)
                        : new TableTransactionAction(TableTransactionActionType.Add, FromRefund(partition, next)));
                    existed &= row is not null || seed is not null;
                    changed = true;
                }

                merged.Add(next);
            }

            var requestOutcome = RequestUpdateOutcome.NotFound;
            RefundRequestRecord? request = null;
            // The caller's read of the request serves the first try (the transaction's ETag proves it still held); a
            // retry after a lost race reads again, after the caller's hook for decisions it based on that read.
            var fresh = attempt == 0 && requestRead is not null ? requestRead : requestId is null ? null : await ReadRequestAsync(table, partition, requestId, ct).ConfigureAwait(false);
            if (requestId is not null && fresh is { } read)
            {
                request = read.Record;
                var ids = request.RefundIds.Union(merged.Select(m => m.RefundId)).ToList();
                var statuses = new List<PingppRefundStatus>();
                RefundRecord? firstFailed = null;
                foreach (var id in ids)
                {
                    var refundNow = merged.FirstOrDefault(m => m.RefundId == id)
                        ?? ((await table.GetEntityIfExistsAsync<TableEntity>(partition, RefundRowKey(id), cancellationToken: ct).ConfigureAwait(false)) is { HasValue: true } other
                            ? ToRefund(other.Value!) : null);
                    if (refundNow is not null)
                    {
                        statuses.Add(refundNow.Status);
                        firstFailed ??= refundNow.Status == PingppRefundStatus.Failed ? refundNow : null;
                    }
                }

                var target = RefundRequestStateMachine.StateForRefunds(statuses);
                var state = request.State == target || !RefundRequestStateMachine.CanMove(request.State, target) ? request.State : target;
                if (state != request.State || ids.Count != request.RefundIds.Count || request.Uncertain)
                {
                    if (state == request.State && state != target)
                    {
                        Log.RequestStateKept(_logger, requestId, orderId, request.State.ToString(), target.ToString());
                    }
                    else if (request.State is RefundRequestState.Failed or RefundRequestState.NeedsReview && state != request.State)
                    {
                        Log.RequestLifted(_logger, requestId, orderId, request.State.ToString(), state.ToString());
                    }

                    request = request with
                    {
                        State = state,
                        RefundIds = ids,
                        LeaseUntil = state == RefundRequestState.Submitting ? request.LeaseUntil : null,
                        // Refunds carrying our request id exist: whether a create reached Ping++ is no longer in doubt.
                        Uncertain = false,
                        // Failed because its refunds failed (a synchronous refusal in the create's answer, or later): their code.
                        FailureCode = state == RefundRequestState.Failed ? request.FailureCode ?? firstFailed?.FailureCode : request.FailureCode,
                        FailureMessage = state == RefundRequestState.Failed ? request.FailureMessage ?? firstFailed?.FailureMessage : request.FailureMessage,
                        UpdatedAt = now,
                    };
                    actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateReplace, FromRequest(partition, request), read.ETag));
                    requestOutcome = RequestUpdateOutcome.Updated;
                }
                else
                {
                    requestOutcome = RequestUpdateOutcome.Unchanged;
                }
            }

            if (actions.Count == 0)
            {
                return new RefundWrite(merged, existed, false, false, requestOutcome, request, []);
            }

            var added = actions.Where(a => a.ActionType == TableTransactionActionType.Add).Select(a => a.Entity.RowKey).ToList();
            if (added.Count > 0 && IsOrderPartition(partition))
            {
                actions.Add(MembersAction(partition, added));
            }

            try
            {
                await table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
                foreach (var settled in settledNow)
                {
                    _metrics.Settled(settled.Status);
                }

                return new RefundWrite(merged, existed, changed, newConflict, requestOutcome, request, settledNow);
            }
            catch (RequestFailedException e) when (IsMembersOverflow(e))
            {
                await OverflowMembersAsync(table, partition, ct).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (TableStatus.IsConcurrencyLoss(e))
            {
                await BackOffAsync(attempt, ct).ConfigureAwait(false);
            }
        }

        throw new InvalidOperationException($"Could not record refunds in {partition}: too much contention.");
    }

    private async Task<RequestUpdateResult> ChangeRequestAsync(
        string requestId, RefundRequestState target, Func<RefundRequestRecord, RefundRequestRecord> change, CancellationToken ct, RefundRequestState? onlyFrom = null)
    {
        TableKeys.RequireValidId(requestId, nameof(requestId));
        _claims.TryRemove(requestId, out _);
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var partition = await ReadRequestPartitionAsync(table, requestId, ct).ConfigureAwait(false);
        if (partition is null)
        {
            return new RequestUpdateResult(RequestUpdateOutcome.NotFound, null);
        }

        if (RefundRequestStateMachine.IsOpen(target, int.MaxValue))
        {
            await UpsertIndexAsync(partition, [$"request {requestId} {target}"], ct).ConfigureAwait(false);
        }

        for (var attempt = 0; attempt < MaxConcurrencyRetries; attempt++)
        {
            if (await ReadRequestAsync(table, partition, requestId, ct).ConfigureAwait(false) is not { } read)
            {
                return new RequestUpdateResult(RequestUpdateOutcome.NotFound, null);
            }

            var current = read.Record;
            if (current.State == target)
            {
                return new RequestUpdateResult(RequestUpdateOutcome.Unchanged, current);
            }

            if ((onlyFrom is not null && current.State != onlyFrom) || !RefundRequestStateMachine.CanMove(current.State, target))
            {
                Log.MoveRefused(_logger, requestId, current.OrderId, current.State.ToString(), target.ToString());
                return new RequestUpdateResult(RequestUpdateOutcome.NotAllowed, current);
            }

            var next = change(current) with { State = target, UpdatedAt = Now };
            try
            {
                await table.UpdateEntityAsync(FromRequest(partition, next), read.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                Log.RequestMoved(_logger, requestId, current.OrderId, current.State.ToString(), target.ToString());
                await RefreshOpenWorkAsync(partition, ct).ConfigureAwait(false);
                return new RequestUpdateResult(RequestUpdateOutcome.Updated, next);
            }
            catch (RequestFailedException e) when (TableStatus.IsPreconditionFailed(e))
            {
                await BackOffAsync(attempt, ct).ConfigureAwait(false);
            }
        }

        throw new InvalidOperationException($"Could not update refund request {requestId}: too much contention.");
    }

    /// <summary>
    /// Read-modify-write of one request with its ETag. <paramref name="change"/> returns the new record, or null when
    /// the change does not apply (<see cref="RequestUpdateOutcome.NotAllowed"/>); a state change must be allowed by
    /// <see cref="RefundRequestStateMachine"/>.
    /// </summary>
    private async Task<RequestUpdateResult> MutateRequestAsync(string requestId, Func<RefundRequestRecord, RefundRequestRecord?> change, CancellationToken ct)
    {
        TableKeys.RequireValidId(requestId, nameof(requestId));
        _claims.TryRemove(requestId, out _);
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var partition = await ReadRequestPartitionAsync(table, requestId, ct).ConfigureAwait(false);
        if (partition is null)
        {
            return new RequestUpdateResult(RequestUpdateOutcome.NotFound, null);
        }

        for (var attempt = 0; attempt < MaxConcurrencyRetries; attempt++)
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

            if (next == current)
            {
                return new RequestUpdateResult(RequestUpdateOutcome.Unchanged, current);
            }

            if (next.State != current.State && !RefundRequestStateMachine.CanMove(current.State, next.State))
            {
                Log.MoveRefused(_logger, requestId, current.OrderId, current.State.ToString(), next.State.ToString());
                return new RequestUpdateResult(RequestUpdateOutcome.NotAllowed, current);
            }

            next = next with { UpdatedAt = Now };
            if (next.State != current.State && RefundRequestStateMachine.IsOpen(next.State, int.MaxValue) && IsOrderPartition(partition))
            {
                await UpsertIndexAsync(partition, [$"request {requestId} {next.State}"], ct).ConfigureAwait(false);
            }

            try
            {
                await table.UpdateEntityAsync(FromRequest(partition, next), read.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (TableStatus.IsPreconditionFailed(e))
            {
                await BackOffAsync(attempt, ct).ConfigureAwait(false);
                continue;
            }

            if (next.State != current.State)
            {
                Log.RequestMoved(_logger, requestId, current.OrderId, current.State.ToString(), next.State.ToString());
                await RefreshOpenWorkAsync(partition, ct).ConfigureAwait(false);
            }

            return new RequestUpdateResult(RequestUpdateOutcome.Updated, next);
        }

        throw new InvalidOperationException($"Could not update refund request {requestId}: too much contention.");
    }

    private Func<OrderRecord?, OrderRecord?> MarkChange(string reason) => known =>
    {
        var reasons = (known?.ReconciliationReasons ?? []).Append(reason).Distinct().TakeLast(MaxReasons).ToList();
        return (known ?? new OrderRecord { OrderId = "" }) with
        {
            NeedsReconciliation = true,
            ReconciliationReasons = reasons,
            MarkedAt = Now,
        };
    };

    /// <summary>Read-modify-write of a partition's order row; <paramref name="change"/> returning null means "no change".</summary>
    private async Task UpdateOrderRowAsync(TableClient table, string partition, string orderId, Func<OrderRecord?, OrderRecord?> change, CancellationToken ct)
    {
        for (var attempt = 0; attempt < MaxConcurrencyRetries; attempt++)
        {
            var row = await table.GetEntityIfExistsAsync<TableEntity>(partition, OrderRow, cancellationToken: ct).ConfigureAwait(false);
            var known = row.HasValue ? ToOrder(row.Value!) : null;
            var next = change(known);
            if (next is null)
            {
                return;
            }

            var entity = FromOrder(partition, next with { OrderId = orderId, UpdatedAt = Now });
            try
            {
                if (row.HasValue)
                {
                    await table.UpdateEntityAsync(entity, row.Value!.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                }
                else
                {
                    await table.AddEntityAsync(entity, ct).ConfigureAwait(false);
                }

                return;
            }
            catch (RequestFailedException e) when (TableStatus.IsConcurrencyLoss(e))
            {
                await BackOffAsync(attempt, ct).ConfigureAwait(false);
            }
        }

        throw new InvalidOperationException($"Could not update order row of {partition}: too much contention.");
    }

    private static async Task UpsertRefundLookupAsync(TableClient table, RefundRecord refund, string partition, CancellationToken ct)
    {
        var lookup = new TableEntity(RefundLookupPartition(refund.RefundId), LookupRow)
        {
            ["Partition"] = partition,
            ["RequestId"] = refund.RequestId,
        };
        await table.UpsertEntityAsync(lookup, TableUpdateMode.Replace, ct).ConfigureAwait(false);
    }

    private async Task UpsertIndexAsync(string ledgerKey, IReadOnlyList<string> reasons, CancellationToken ct, string? orphanRefundId = null, string? chargeId = null)
    {
        var index = await _index.GetAsync(ct).ConfigureAwait(false);
        var entity = new TableEntity(IndexPartition(TableKeys.Bucket(ledgerKey, IndexPartitionCount)), ledgerKey)
        {
            ["OrderId"] = IsOrderPartition(ledgerKey) ? ledgerKey : null,
            ["RefundId"] = orphanRefundId,
            ["ChargeId"] = chargeId,
            ["Reasons"] = System.Text.Json.JsonSerializer.Serialize(reasons.Take(MaxReasons)),
            ["UpdatedAt"] = Now,
        };
        await index.UpsertEntityAsync(entity, TableUpdateMode.Replace, ct).ConfigureAwait(false);
    }

    private static OpenWorkItem ToOpenWorkItem(TableEntity e) => new()
    {
        LedgerKey = e.RowKey,
        OrderId = e.GetString("OrderId"),
        RefundId = e.GetString("RefundId"),
        ChargeId = e.GetString("ChargeId"),
        Reasons = e.GetString("Reasons") is { } json ? System.Text.Json.JsonSerializer.Deserialize<List<string>>(json) ?? [] : [],
        UpdatedAt = e.GetDateTimeOffset("UpdatedAt") ?? default,
    };

    private static string IndexPartition(int bucket) => $"open-{bucket}";

    private static (int Bucket, string? Token) ParseContinuation(string? continuation)
    {
        if (string.IsNullOrEmpty(continuation))
        {
            return (0, null);
        }

        var colon = continuation.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !int.TryParse(continuation.AsSpan(0, colon), out var bucket) || bucket is < 0 or >= IndexPartitionCount)
        {
            throw new ArgumentException("Not a continuation returned by ListOpenWorkAsync.", nameof(continuation));
        }

        var token = continuation[(colon + 1)..];
        return (bucket, token.Length == 0 ? null : token);
    }

    /// <summary>
    /// The claim this instance just wrote for a send, with the ETag the write returned: the create's answer is then
    /// recorded without reading the request again. Safe because the ETag is checked by the write that uses it: if the
    /// row changed since, that write fails and its retry reads. Entries are taken once; a crash in between only
    /// leaves one behind, and the map is emptied if it ever grows large.
    /// </summary>
    private void RememberWrite(RefundRequestRecord written, Response response)
    {
        if (response.Headers.ETag is not { } etag)
        {
            return;
        }

        if (_claims.Count >= MaxRememberedClaims)
        {
            _claims.Clear();
        }

        _claims[written.RequestId] = (written, etag);
    }

    private (RefundRequestRecord Record, ETag ETag)? TakeRememberedWrite(string requestId, string? orderId)
        => orderId is not null && _claims.TryRemove(requestId, out var claim) && claim.Record.OrderId == orderId ? claim : null;

    /// <summary>
    /// A request's partition and row: at <paramref name="orderId"/> when the caller knows it (one read), else through
    /// the request lookup (two). A request that is not where the caller thought is looked up the long way.
    /// </summary>
    private static async Task<(string? Partition, (RefundRequestRecord Record, ETag ETag)? Read)> FindRequestAsync(
        TableClient table, string requestId, string? orderId, CancellationToken ct)
    {
        if (TableKeys.IsValidId(orderId) && await ReadRequestAsync(table, orderId!, requestId, ct).ConfigureAwait(false) is { } atOrder)
        {
            return (orderId, atOrder);
        }

        var partition = await ReadRequestPartitionAsync(table, requestId, ct).ConfigureAwait(false);
        return (partition, partition is null ? null : await ReadRequestAsync(table, partition, requestId, ct).ConfigureAwait(false));
    }

    private static async Task<string?> ReadRequestPartitionAsync(TableClient table, string requestId, CancellationToken ct)
    {
        var lookup = await table.GetEntityIfExistsAsync<TableEntity>(RequestLookupPartition(requestId), LookupRow, cancellationToken: ct).ConfigureAwait(false);
        return lookup.HasValue ? lookup.Value!.GetString("Partition") : null;
    }

    private static async Task<(RefundRequestRecord Record, ETag ETag)?> ReadRequestAsync(TableClient table, string partition, string requestId, CancellationToken ct)
    {
        var row = await table.GetEntityIfExistsAsync<TableEntity>(partition, RequestRowKey(requestId), cancellationToken: ct).ConfigureAwait(false);
        return row.HasValue ? (ToRequest(row.Value!), row.Value!.ETag) : null;
    }

    /// <summary>
    /// Lists <paramref name="rowKeys"/> in an order partition's members row (one merge, no read), before the rows are
    /// written. Other partitions hold rows whose keys follow from the partition name and need no list.
    /// </summary>
    private static async Task ListMembersAsync(TableClient table, string partition, IReadOnlyList<string> rowKeys, CancellationToken ct)
    {
        if (!IsOrderPartition(partition))
        {
            return;
        }

        try
        {
            await table.UpsertEntityAsync(MembersAction(partition, rowKeys).Entity, TableUpdateMode.Merge, ct).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (IsMembersOverflow(e))
        {
            await OverflowMembersAsync(table, partition, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The merge that lists <paramref name="rowKeys"/>, for the transaction that writes those rows.</summary>
    private static TableTransactionAction MembersAction(string partition, IReadOnlyList<string> rowKeys)
    {
        var members = new TableEntity(partition, MembersRow);
        foreach (var key in rowKeys)
        {
            members[MemberProperty(key)] = key;
        }

        return new TableTransactionAction(TableTransactionActionType.UpsertMerge, members);
    }

    private static bool IsMembersOverflow(RequestFailedException e)
        => e.ErrorCode == TableErrorCode.TooManyProperties || e.ErrorCode == TableErrorCode.EntityTooLarge;

    /// <summary>
    /// Hundreds of rows in one order: the list is replaced by the overflow flag (which no later merge removes), and
    /// readers query the partition from now on. The list restarts empty, so the merge that failed fits when retried.
    /// </summary>
    private static Task OverflowMembersAsync(TableClient table, string partition, CancellationToken ct)
        => table.UpsertEntityAsync(new TableEntity(partition, MembersRow) { [MembersOverflow] = true }, TableUpdateMode.Replace, ct);

    /// <summary>Every ledger row of a partition, by point reads where the row keys are known (see <see cref="LedgerEntities"/>).</summary>
    private static async Task<List<TableEntity>> ReadLedgerRowsAsync(TableClient table, string partition, CancellationToken ct)
    {
        List<string> keys;
        if (IsOrderPartition(partition))
        {
            var members = await table.GetEntityIfExistsAsync<TableEntity>(partition, MembersRow, cancellationToken: ct).ConfigureAwait(false);
            if (members.HasValue && members.Value!.GetBoolean(MembersOverflow) == true)
            {
                return await ReadPartitionAsync(table, partition, ct).ConfigureAwait(false);
            }

            keys = [OrderRow];
            if (members.HasValue)
            {
                keys.AddRange(members.Value!.Where(p => p.Key.StartsWith(MemberPropertyPrefix, StringComparison.Ordinal) && p.Value is string)
                    .Select(p => (string)p.Value));
            }
        }
        else if (IsOrphanPartition(partition))
        {
            keys = [OrderRow, RefundRowKey(partition[OrphanPrefix.Length..])];
        }
        else if (partition.StartsWith(RejectedPrefix, StringComparison.Ordinal))
        {
            keys = [RequestRowKey(partition[RejectedPrefix.Length..])];
        }
        else
        {
            return await ReadPartitionAsync(table, partition, ct).ConfigureAwait(false);
        }

        var rows = await Task.WhenAll(keys.Distinct(StringComparer.Ordinal).Select(key =>
            table.GetEntityIfExistsAsync<TableEntity>(partition, key, cancellationToken: ct))).ConfigureAwait(false);
        return [.. rows.Where(r => r.HasValue).Select(r => r.Value!).OrderBy(r => r.RowKey, StringComparer.Ordinal)];
    }

    private static async Task<List<TableEntity>> ReadPartitionAsync(TableClient table, string partition, CancellationToken ct)
    {
        var rows = new List<TableEntity>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition}");
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
        {
            rows.Add(row);
        }

        return rows;
    }

    private static async Task DeletePartitionAsync(TableClient table, string partition, CancellationToken ct)
    {
        foreach (var row in await ReadLedgerRowsAsync(table, partition, ct).ConfigureAwait(false))
        {
            await table.DeleteEntityAsync(partition, row.RowKey, ETag.All, ct).ConfigureAwait(false);
        }
    }

    private static Task BackOffAsync(int attempt, CancellationToken ct)
        => Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 + Math.Min(attempt, 10) * 10)), ct);
}
