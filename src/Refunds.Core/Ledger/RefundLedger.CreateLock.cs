using Azure;
using Azure.Data.Tables;
using static Refunds.Core.Ledger.LedgerPartitionReader;

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
}
