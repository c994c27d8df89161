using Azure;
using Azure.Data.Tables;
using Refunds.Core.Storage;
using static Refunds.Core.Ledger.LedgerEntities;
using static Refunds.Core.Ledger.LedgerPartitionReader;

namespace Refunds.Core.Ledger;

/// <summary>Recording requests: a new request (born claimed when the caller sends at once) and a validation rejection.</summary>
public sealed partial class RefundLedger
{
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
            Approval = null,
            HistoryCount = 0,
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
        // The gate decides once, for a request known to be new; a retry of the write keeps the decision.
        Admission? admission = null;
        RefundRequestState? replacedFrom = null;
        return await OptimisticRetry.RunAsync<CreateRequestResult>($"record refund request {requestId}", async _ =>
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
                    return OptimisticRetry.AgainNow;
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
                        return OptimisticRetry.AgainNow;
                    }

                    await table.DeleteEntityAsync(existingPartition, RequestRowKey(requestId), existing.Value.ETag, ct).ConfigureAwait(false);
                    Log.RejectionReplaced(_logger, requestId, orderId, rejected.RejectionReasons.Count);
                    fresh = fresh with { LastIgnoredMessage = ReplacedNote(rejected), IgnoredMessages = rejected.IgnoredMessages + 1, HistoryCount = rejected.HistoryCount };
                    replacedFrom = RefundRequestState.Rejected;
                }
                else if (existingPartition != orderId)
                {
                    return existing is not null
                        ? new CreateRequestResult(false, existing.Value.Record)
                        : throw new InvalidOperationException($"Refund request id {requestId} is already taken by another order.");
                }
            }

            // Over a limit: held for an operator, never claimed (no create lock, nothing sent, not open work).
            admission ??= _admission is null ? Admission.LetThrough : await _admission.AdmitAsync(fresh, ct).ConfigureAwait(false);
            var admitted = admission.Hold ? Held(fresh, admission) : fresh;

            // Born claimed only while no other request of the order has a create in doubt (one create in flight per
            // order); otherwise recorded as Received, and the processor's claim waits for the order.
            var lockRead = claim is null || admission.Hold ? default : await ReadCreateLockAsync(table, orderId, requestId, ct).ConfigureAwait(false);
            // The lease counts from this write: time spent at the gate (the daily total's turn) must not eat into it.
            var (born, entry) = WithHistory(orderId,
                claim is { } c && !admission.Hold && lockRead.Free ? Claimed(admitted, (c.At > Now ? c.At : Now, c.Lease)) : admitted, replacedFrom, admission.Note ?? "recorded");
            if (claim is not null && !lockRead.Free)
            {
                Log.CreateLockHeld(_logger, requestId, orderId, lockRead.BlockedBy!);
            }

            if (RefundRequestStateMachine.IsOpen(born.State, born.Attempt))
            {
                await _openWork.UpsertAsync(orderId, [$"request {requestId} {born.State}"], ct).ConfigureAwait(false);
            }
            await _requestIndex.BeforeAsync(orderId, null, born, ct).ConfigureAwait(false);
            try
            {
                List<TableTransactionAction> actions = [MembersAction(orderId, [RequestRowKey(requestId)]), new(TableTransactionActionType.Add, FromRequest(orderId, born)), entry];
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
                return OptimisticRetry.Again;
            }
            catch (RequestFailedException e) when (IsMembersOverflow(e))
            {
                await OverflowMembersAsync(table, orderId, ct).ConfigureAwait(false);
                return OptimisticRetry.AgainNow;
            }
            catch (RequestFailedException e) when (TableStatus.IsConflict(e))
            {
                var existing = await ReadRequestAsync(table, orderId, requestId, ct).ConfigureAwait(false);
                if (existing is { Record: { State: RefundRequestState.Rejected, Fingerprint: null } rejected } read)
                {
                    var (replacement, replaced) = WithHistory(orderId,
                        admitted with { LastIgnoredMessage = ReplacedNote(rejected), IgnoredMessages = rejected.IgnoredMessages + 1, HistoryCount = rejected.HistoryCount },
                        RefundRequestState.Rejected, admission.Note ?? "replaced an earlier validation rejection");
                    if (RefundRequestStateMachine.IsOpen(replacement.State, replacement.Attempt))
                    {
                        await _openWork.UpsertAsync(orderId, [$"request {requestId} {replacement.State}"], ct).ConfigureAwait(false);
                    }
                    await _requestIndex.BeforeAsync(orderId, null, replacement, ct).ConfigureAwait(false);
                    try
                    {
                        await table.SubmitTransactionAsync(
                            [new TableTransactionAction(TableTransactionActionType.UpdateReplace, FromRequest(orderId, replacement), read.ETag), replaced], ct).ConfigureAwait(false);
                    }
                    catch (RequestFailedException e2) when (TableStatus.IsConcurrencyLoss(e2))
                    {
                        return OptimisticRetry.Again;
                    }

                    Log.RejectionReplaced(_logger, requestId, orderId, rejected.RejectionReasons.Count);
                    await _requestIndex.AfterAsync(orderId, null, replacement, ct).ConfigureAwait(false);
                    await RefreshOpenWorkAsync(orderId, ct).ConfigureAwait(false);
                    return new CreateRequestResult(true, replacement);
                }

                await RefreshOpenWorkAsync(orderId, ct).ConfigureAwait(false);
                if (existing is null)
                {
                    return OptimisticRetry.AgainNow;
                }

                return new CreateRequestResult(false, existing.Value.Record);
            }

            // A new request is open work, indexed above (one held for approval is not): nothing for a refresh to change.
            await _requestIndex.AfterAsync(orderId, null, born, ct).ConfigureAwait(false);
            Log.RequestCreated(_logger, requestId, orderId);
            if (admission.Hold)
            {
                Log.RequestHeld(_logger, requestId, orderId, string.Join(",", admission.HoldReasons), admission.Amount);
            }

            if (born.Uncertain)
            {
                Log.RequestClaimed(_logger, requestId, orderId, born.Attempt);
            }

            return new CreateRequestResult(true, born);
        }, ct).ConfigureAwait(false);
    }

    private static RefundRequestRecord Held(RefundRequestRecord fresh, Admission admission) => fresh with
    {
        State = RefundRequestState.AwaitingApproval,
        Approval = new RequestApproval { Reasons = admission.HoldReasons, Amount = admission.Amount },
    };

    private static string ReplacedNote(RefundRequestRecord rejected)
        => "replaced an earlier validation rejection: " + string.Join("; ", rejected.RejectionReasons)
           + (rejected.RawText is null ? "" : " | raw: " + rejected.RawText);

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
        var (written, entry) = WithHistory(partition, record, null, "invalid message: " + string.Join("; ", rejection.Reasons));
        await _requestIndex.BeforeAsync(partition, null, written, ct).ConfigureAwait(false);
        try
        {
            await table.SubmitTransactionAsync([new TableTransactionAction(TableTransactionActionType.Add, FromRequest(partition, written)), entry], ct).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (TableStatus.IsConflict(e))
        {
            return new RequestUpdateResult(RequestUpdateOutcome.Unchanged, (await ReadRequestAsync(table, partition, id, ct).ConfigureAwait(false))?.Record);
        }

        await _requestIndex.AfterAsync(partition, null, written, ct).ConfigureAwait(false);
        Log.RequestRejected(_logger, id, record.OrderId, rejection.Reasons.Count);
        return new RequestUpdateResult(RequestUpdateOutcome.Updated, written);
    }
}
