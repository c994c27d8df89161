using Azure;
using Azure.Data.Tables;
using Refunds.Core.Storage;
using static Refunds.Core.Ledger.LedgerEntities;

namespace Refunds.Core.Ledger;

/// <summary>
/// One create in flight per order: a row in the order's partition names the request whose create may have reached
/// Ping++ with an unknown outcome. A request takes it in the same entity-group transaction as its write-ahead
/// (<see cref="RefundRequestRecord.Uncertain"/> = true), and keeps it for as long as it stays uncertain (released
/// lazily: a holder that is no longer uncertain does not block). So while one create's outcome is unknown, no other
/// request of the order creates, and a refund that appears on the order after that send began can only be its own
/// (or one made outside the app).
/// </summary>
public sealed partial class RefundLedger
{
    private const string CreateLockRow = "createlock";

    /// <summary>The lock decision for <paramref name="requestId"/>: the action that takes (or re-asserts) the lock, or the blocking holder.</summary>
    private readonly record struct CreateLock(TableTransactionAction? Take, string? BlockedBy)
    {
        public bool Free => BlockedBy is null;
    }

    /// <summary>
    /// Reads the order's create lock. Free when absent, held by <paramref name="requestId"/>, or held by a request no
    /// longer uncertain; the returned action is ETag-conditional (add when absent), so two requests that both found it
    /// free cannot both commit their write-ahead. Blocked when another request's create is still uncertain.
    /// </summary>
    private async Task<CreateLock> ReadCreateLockAsync(TableClient table, string partition, string requestId, CancellationToken ct)
    {
        var row = await table.GetEntityIfExistsAsync<TableEntity>(partition, CreateLockRow, cancellationToken: ct).ConfigureAwait(false);
        var mine = new TableEntity(partition, CreateLockRow)
        {
            ["Kind"] = "createlock",
            ["RequestId"] = requestId,
            ["Since"] = Now,
        };
        if (!row.HasValue)
        {
            return new CreateLock(new TableTransactionAction(TableTransactionActionType.Add, mine), null);
        }

        var holder = row.Value!.GetString("RequestId");
        if (holder is not null && !string.Equals(holder, requestId, StringComparison.Ordinal)
            && await ReadRequestAsync(table, partition, holder, ct).ConfigureAwait(false) is { Record.Uncertain: true })
        {
            return new CreateLock(null, holder);
        }

        return new CreateLock(new TableTransactionAction(TableTransactionActionType.UpdateReplace, mine, row.Value.ETag), null);
    }

    /// <summary>
    /// The write-ahead of a create with the order's create lock, as one transaction: only the holder of claim
    /// <paramref name="attempt"/> (still Submitting) succeeds. Blocked by another request's uncertain create →
    /// <see cref="RequestUpdateOutcome.NotAllowed"/> with the request unchanged (still this claim's).
    /// </summary>
    private async Task<RequestUpdateResult> RecordSendStartingLockedAsync(string requestId, int attempt, DateTimeOffset now, CancellationToken ct)
    {
        TableKeys.RequireValidId(requestId, nameof(requestId));
        _claims.TryRemove(requestId, out _);
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var partition = await ReadRequestPartitionAsync(table, requestId, ct).ConfigureAwait(false);
        if (partition is null)
        {
            return new RequestUpdateResult(RequestUpdateOutcome.NotFound, null);
        }

        for (var retry = 0; retry < MaxConcurrencyRetries; retry++)
        {
            if (await ReadRequestAsync(table, partition, requestId, ct).ConfigureAwait(false) is not { } read)
            {
                return new RequestUpdateResult(RequestUpdateOutcome.NotFound, null);
            }

            var current = read.Record;
            if (current.State != RefundRequestState.Submitting || current.Attempt != attempt)
            {
                return new RequestUpdateResult(RequestUpdateOutcome.NotAllowed, current);
            }

            var lockRead = await ReadCreateLockAsync(table, partition, requestId, ct).ConfigureAwait(false);
            if (!lockRead.Free)
            {
                Log.CreateLockHeld(_logger, requestId, current.OrderId, lockRead.BlockedBy!);
                return new RequestUpdateResult(RequestUpdateOutcome.NotAllowed, current);
            }

            var next = current with { Uncertain = true, LastSendStartedAt = now, UpdatedAt = Now };
            try
            {
                await table.SubmitTransactionAsync(
                    [new TableTransactionAction(TableTransactionActionType.UpdateReplace, FromRequest(partition, next), read.ETag), lockRead.Take!], ct).ConfigureAwait(false);
                return new RequestUpdateResult(RequestUpdateOutcome.Updated, next);
            }
            catch (RequestFailedException e) when (TableStatus.IsConcurrencyLoss(e))
            {
                await BackOffAsync(retry, ct).ConfigureAwait(false);
            }
        }

        throw new InvalidOperationException($"Could not record the send of refund request {requestId}: too much contention.");
    }
}
