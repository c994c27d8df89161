using Azure.Data.Tables;
using Refunds.Core.Storage;
using static Refunds.Core.Ledger.LedgerEntities;
using static Refunds.Core.Ledger.LedgerPartitionReader;

namespace Refunds.Core.Ledger;

/// <summary>
/// A request's history: every state change appends one row (<see cref="LedgerEntities.HistoryRowKey"/>) in the same
/// entity-group transaction as the change itself, guarded by the request's ETag, so an entry can neither be lost
/// (the change commits with it) nor invented (a change that loses its race writes neither). Rows are only ever added.
/// </summary>
public sealed partial class RefundLedger
{
    /// <summary>
    /// <paramref name="next"/> with its history count advanced, and the action that appends its entry: from
    /// <paramref name="from"/> (null: the request's first entry) to <paramref name="next"/>'s state, at its
    /// <see cref="RefundRequestRecord.UpdatedAt"/>, by <paramref name="actor"/> (else the ambient <see cref="RequestActor"/>).
    /// </summary>
    private static (RefundRequestRecord Next, TableTransactionAction Entry) WithHistory(
        string partition, RefundRequestRecord next, RefundRequestState? from, string? reason, string? actor = null)
    {
        var counted = next with { HistoryCount = next.HistoryCount + 1 };
        var entry = new RequestHistoryEntry(counted.HistoryCount, counted.UpdatedAt, from, counted.State, actor ?? RequestActor.Current, reason);
        return (counted, new TableTransactionAction(TableTransactionActionType.Add, FromHistory(partition, counted.RequestId, entry)));
    }

    public async Task<RequestWithHistory?> GetRequestWithHistoryAsync(string requestId, CancellationToken ct)
    {
        TableKeys.RequireValidId(requestId, nameof(requestId));
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var partition = await ReadRequestPartitionAsync(table, requestId, ct).ConfigureAwait(false);
        if (partition is null || await ReadRequestAsync(table, partition, requestId, ct).ConfigureAwait(false) is not { } read)
        {
            return null;
        }

        // A validation rejection replaced by a valid request in its order's partition left its entries behind.
        var rejectedPartition = RejectedPrefix + requestId;
        var history = await ReadHistoryAsync(table, partition, requestId, ct).ConfigureAwait(false);
        if (partition != rejectedPartition)
        {
            history.AddRange(await ReadHistoryAsync(table, rejectedPartition, requestId, ct).ConfigureAwait(false));
        }

        return new RequestWithHistory(read.Record, [.. history.OrderBy(h => h.Seq).ThenBy(h => h.At)]);
    }

    /// <summary>One range query over the request's own history rows (a point range of its partition).</summary>
    private static async Task<List<RequestHistoryEntry>> ReadHistoryAsync(TableClient table, string partition, string requestId, CancellationToken ct)
    {
        var (from, to) = HistoryRange(requestId);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {from} and RowKey lt {to}");
        var entries = new List<RequestHistoryEntry>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
        {
            if (Kind(row) == "history" && row.GetString("RequestId") == requestId)
            {
                entries.Add(ToHistory(row));
            }
        }

        return entries;
    }
}
