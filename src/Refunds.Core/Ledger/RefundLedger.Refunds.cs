using Azure;
using Azure.Data.Tables;
using Refunds.Core.Pingpp;
using Refunds.Core.Storage;
using static Refunds.Core.Ledger.LedgerEntities;
using static Refunds.Core.Ledger.LedgerPartitionReader;

namespace Refunds.Core.Ledger;

/// <summary>Merging refunds Ping++ reports (webhook, listing, the create's answer) with their request.</summary>
public sealed partial class RefundLedger
{
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
        else
        {
            partition = orderIdIfKnown ?? OrphanPartition(refundId);
        }

        if (requestId is null && IsOrderPartition(partition) && (lookup.HasValue || refund.RequestId is null)
            && await table.GetEntityIfExistsAsync<TableEntity>(partition, RefundRowKey(refundId), cancellationToken: ct).ConfigureAwait(false) is { HasValue: true } known)
        {
            // The order's row may already link it to a request (adopted without our marker) while the lookup row was
            // last written by a report without it: the request still follows its refund.
            requestId = ToRefund(known.Value!).RequestId;
        }

        string? notLinked = null;
        if (requestId is null && refund.RequestId is not null)
        {
            // Only the marker says whose it is: trusted when the refund can be that request's (RequestLinkCheck).
            (requestId, partition, notLinked) = await LinkByMarkerAsync(table, refund, partition, lookup.HasValue, orderIdIfKnown, ct).ConfigureAwait(false);
            if (notLinked is not null)
            {
                refund = refund with { Metadata = refund.Metadata!.Where(m => m.Key != PingppMetadata.RequestId).ToDictionary() };
            }
        }

        var external = requestId is null;
        var orphanNow = IsOrphanPartition(partition);
        var indexed = refund.Status == PingppRefundStatus.Pending || orphanNow;
        if (indexed)
        {
            await _openWork.UpsertAsync(partition, [$"refund {refundId} {refund.Status}"], ct, orphanNow ? refundId : null, refund.Charge).ConfigureAwait(false);
        }

        // A change is followed by a refresh of the order's open work. Its index row is read before the change's
        // transaction, so the refresh takes the rows the transaction wrote as written instead of reading them again.
        IndexRowBefore? indexBefore = null;
        var write = await WriteRefundsAsync(table, new RefundWritePlan(partition, requestId, [refund])
        {
            External = external,
            Seed = seed,
            BeforeCommit = async () => indexBefore ??= await _openWork.ReadRowAsync(partition, ct).ConfigureAwait(false),
        }, ct).ConfigureAwait(false);
        if (indexBefore is not null)
        {
            indexBefore.Written = [.. write.Written.OfType<TableEntity>()];
        }

        var result = write.Refunds[0];
        if (!(lookup.HasValue && lookup.Value!.GetString("Partition") == partition && lookup.Value.GetString("RequestId") == result.RequestId))
        {
            await UpsertRefundLookupAsync(table, result, partition, ct).ConfigureAwait(false);
        }

        if (orphanNow && !write.Existed)
        {
            await UpdateOrderRowAsync(table, partition, refundId, MarkChange($"external refund {refundId} of an unknown order"), ct).ConfigureAwait(false);
        }

        if (notLinked is not null && !write.Existed)
        {
            // Shown where a person looks: on the refund's own order (or its orphan record).
            await UpdateOrderRowAsync(table, partition, result.OrderId ?? refundId, MarkChange(notLinked), ct).ConfigureAwait(false);
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
            await _openWork.RefreshAsync(partition, indexBefore, ct).ConfigureAwait(false);
        }

        var outcome = !write.Existed ? RefundApplyOutcome.Created : write.RefundChanged ? RefundApplyOutcome.Updated : RefundApplyOutcome.Unchanged;
        Log.RefundApplied(_logger, refundId, result.OrderId, result.RequestId, result.Status.ToString(), outcome.ToString());
        return new RefundApplyResult(outcome, result);
    }

    /// <summary>
    /// Where a refund goes when only its <c>refund_request_id</c> marker links it to a request: to the request when
    /// <see cref="RequestLinkCheck"/> finds it can be that request's; otherwise it stays where it is (its order, or an
    /// orphan partition) as external, with the reason.
    /// </summary>
    private async Task<(string? RequestId, string Partition, string? NotLinked)> LinkByMarkerAsync(
        TableClient table, PingppRefund refund, string partition, bool known, string? orderIdIfKnown, CancellationToken ct)
    {
        var marker = refund.RequestId!;
        if (!TableKeys.IsValidId(marker)
            || await ReadRequestPartitionAsync(table, marker, ct).ConfigureAwait(false) is not { } requestPartition
            || !IsOrderPartition(requestPartition))
        {
            // A marker of a request this ledger never had: nothing of ours to settle; kept as Ping++ reported it.
            return (null, partition, null);
        }

        var refundOrder = orderIdIfKnown ?? (known && IsOrderPartition(partition) ? partition : null);
        var named = await ReadRequestAsync(table, requestPartition, marker, ct).ConfigureAwait(false);
        var why = RequestLinkCheck.WhyNotLinked(refund, named?.Record, requestPartition, refundOrder);
        if (why is not null)
        {
            Log.RefundLinkRefused(_logger, refund.Id, marker, requestPartition, why);
            return (null, partition, why);
        }

        // A refund already kept in an orphan partition stays there until its order is known (adoption moves it).
        return !known || partition == requestPartition ? (marker, requestPartition, null) : (null, partition, null);
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

    private sealed record RefundWrite(
        IReadOnlyList<RefundRecord> Refunds,
        bool Existed,
        bool RefundChanged,
        bool NewConflict,
        RequestUpdateOutcome RequestOutcome,
        RefundRequestRecord? Request,
        IReadOnlyList<RefundRecord> SettledNow)
    {
        /// <summary>The rows the transaction wrote, as written.</summary>
        public IReadOnlyList<ITableEntity> Written { get; init; } = [];
    }

    /// <summary>What <see cref="WriteRefundsAsync"/> merges: refund reports into <see cref="Partition"/>, for <see cref="RequestId"/> (if any).</summary>
    private sealed record RefundWritePlan(string Partition, string? RequestId, IReadOnlyList<PingppRefund> Reports)
    {
        /// <summary>No request of ours made these refunds (recorded as external).</summary>
        public bool External { get; init; }

        /// <summary>The refund as known elsewhere (an orphan row being adopted), when the partition has no row yet.</summary>
        public RefundRecord? Seed { get; init; }

        /// <summary>The caller's read of the request: serves the first try (the transaction's ETag proves it still held).</summary>
        public (RefundRequestRecord Record, ETag ETag)? RequestRead { get; init; }

        /// <summary>Runs before every retry, for decisions the caller based on <see cref="RequestRead"/>.</summary>
        public Func<Task>? BeforeRetry { get; init; }

        /// <summary>Runs before every commit of the transaction (a read that must precede it).</summary>
        public Func<Task>? BeforeCommit { get; init; }

        /// <summary>The refunds are expected to be new: added without a read (an existing row fails the transaction, and the retry reads).</summary>
        public bool AssumeNewRefunds { get; init; }
    }

    /// <summary>
    /// Merges refund reports into one partition and moves their request (if any) to the state the refunds imply, in one
    /// entity-group transaction guarded by the ETags read.
    /// </summary>
    private async Task<RefundWrite> WriteRefundsAsync(TableClient table, RefundWritePlan plan, CancellationToken ct)
    {
        var (partition, requestId, reports) = plan;
        var (external, seed, requestRead, beforeRetry, assumeNewRefunds) = (plan.External, plan.Seed, plan.RequestRead, plan.BeforeRetry, plan.AssumeNewRefunds);
        var distinct = reports.DistinctBy(r => r.Id).ToList();
        foreach (var report in distinct)
        {
            TableKeys.RequireValidId(report.Id, nameof(reports));
        }

        var orderId = IsOrderPartition(partition) ? partition : null;
        return await OptimisticRetry.RunAsync<RefundWrite>($"record refunds in {partition}", async attempt =>
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
            // The refund rows and the request row this try decides on, read together in one round trip. Refunds the
            // caller expects to be new are added without a read first: an Add that meets an existing row fails the
            // transaction (409) and the retry reads. The caller's read of the request serves the first try (the
            // transaction's ETag proves it still held); a retry after a lost race reads again, after the caller's hook
            // for decisions it based on that read.
            var readRefunds = !(attempt == 0 && assumeNewRefunds);
            var readRequest = requestId is not null && !(attempt == 0 && requestRead is not null);
            var rows = await ReadRowsAsync(table, partition,
                [.. readRefunds ? distinct.Select(r => RefundRowKey(r.Id)) : [], .. readRequest ? [RequestRowKey(requestId!)] : Array.Empty<string>()], ct).ConfigureAwait(false);
            foreach (var report in distinct)
            {
                var row = rows.GetValueOrDefault(RefundRowKey(report.Id));
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
            RefundRequestState? movedFrom = null;
            var fresh = !readRequest ? requestRead : rows.TryGetValue(RequestRowKey(requestId!), out var requestRow) ? (ToRequest(requestRow), requestRow.ETag) : null;
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

                    movedFrom = state != request.State ? request.State : null;
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
                    if (state != read.Record.State)
                    {
                        TableTransactionAction entry;
                        (request, entry) = WithHistory(partition, request, read.Record.State,
                            "refunds at Ping++: " + string.Join(", ", merged.Select(m => $"{m.RefundId} {m.Status}")));
                        actions.Add(entry);
                    }

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

            // History rows stay off the members row: order reads never fetch them.
            var added = actions.Where(a => a.ActionType == TableTransactionActionType.Add && !a.Entity.RowKey.StartsWith(HistoryPrefix, StringComparison.Ordinal))
                .Select(a => a.Entity.RowKey).ToList();
            if (added.Count > 0 && IsOrderPartition(partition))
            {
                actions.Add(MembersAction(partition, added));
            }

            try
            {
                if (plan.BeforeCommit is not null)
                {
                    await plan.BeforeCommit().ConfigureAwait(false);
                }

                if (movedFrom is not null)
                {
                    await _requestIndex.BeforeAsync(partition, movedFrom, request!, ct).ConfigureAwait(false);
                }

                await table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
                if (movedFrom is not null)
                {
                    await _requestIndex.AfterAsync(partition, movedFrom, request!, ct).ConfigureAwait(false);
                }

                foreach (var settled in settledNow)
                {
                    _metrics.Settled(settled.Status);
                }

                return new RefundWrite(merged, existed, changed, newConflict, requestOutcome, request, settledNow) { Written = [.. actions.Select(a => a.Entity)] };
            }
            catch (RequestFailedException e) when (IsMembersOverflow(e))
            {
                await OverflowMembersAsync(table, partition, ct).ConfigureAwait(false);
                return OptimisticRetry.AgainNow;
            }
            catch (RequestFailedException e) when (TableStatus.IsConcurrencyLoss(e))
            {
                return OptimisticRetry.Again;
            }
        }, ct).ConfigureAwait(false);
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
}
