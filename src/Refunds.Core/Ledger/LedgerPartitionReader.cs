using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;
using Refunds.Core.Storage;
using static Refunds.Core.Ledger.LedgerEntities;

namespace Refunds.Core.Ledger;

/// <summary>
/// Reads of the ledger table's rows and partitions (layout in <see cref="LedgerEntities"/>): a request and where it
/// lives, an order partition's rows by the point reads its members row allows, and the members row itself.
/// </summary>
internal static class LedgerPartitionReader
{
    /// <summary>
    /// A request's partition and row: at <paramref name="orderId"/> when the caller knows it (one read), else through
    /// the request lookup (two). A request that is not where the caller thought is looked up the long way.
    /// </summary>
    public static async Task<(string? Partition, (RefundRequestRecord Record, ETag ETag)? Read)> FindRequestAsync(
        TableClient table, string requestId, string? orderId, CancellationToken ct)
    {
        if (TableKeys.IsValidId(orderId) && await ReadRequestAsync(table, orderId!, requestId, ct).ConfigureAwait(false) is { } atOrder)
        {
            return (orderId, atOrder);
        }

        var partition = await ReadRequestPartitionAsync(table, requestId, ct).ConfigureAwait(false);
        return (partition, partition is null ? null : await ReadRequestAsync(table, partition, requestId, ct).ConfigureAwait(false));
    }

    public static async Task<string?> ReadRequestPartitionAsync(TableClient table, string requestId, CancellationToken ct)
    {
        var lookup = await table.GetEntityIfExistsAsync<TableEntity>(RequestLookupPartition(requestId), LookupRow, cancellationToken: ct).ConfigureAwait(false);
        return lookup.HasValue ? lookup.Value!.GetString("Partition") : null;
    }

    public static async Task<(RefundRequestRecord Record, ETag ETag)?> ReadRequestAsync(TableClient table, string partition, string requestId, CancellationToken ct)
    {
        var row = await table.GetEntityIfExistsAsync<TableEntity>(partition, RequestRowKey(requestId), cancellationToken: ct).ConfigureAwait(false);
        return row.HasValue ? (ToRequest(row.Value!), row.Value!.ETag) : null;
    }

    /// <summary>
    /// The rows of <paramref name="partition"/> under <paramref name="rowKeys"/> that exist, by row key: point reads
    /// sent together, so they cost one round trip of latency. Not a query naming the keys: Azurite answers any filter
    /// by scanning the whole table, so a read would grow with every other order's history (RefundLedgerReadTests).
    /// </summary>
    public static async Task<Dictionary<string, TableEntity>> ReadRowsAsync(
        TableClient table, string partition, IEnumerable<string> rowKeys, CancellationToken ct)
    {
        var found = await Task.WhenAll(rowKeys.Distinct(StringComparer.Ordinal).Select(key =>
            table.GetEntityIfExistsAsync<TableEntity>(partition, key, cancellationToken: ct))).ConfigureAwait(false);
        return found.Where(r => r.HasValue).ToDictionary(r => r.Value!.RowKey, r => r.Value!, StringComparer.Ordinal);
    }

    /// <summary>
    /// Lists <paramref name="rowKeys"/> in an order partition's members row (one merge, no read), before the rows are
    /// written. Other partitions hold rows whose keys follow from the partition name and need no list.
    /// </summary>
    public static async Task ListMembersAsync(TableClient table, string partition, IReadOnlyList<string> rowKeys, CancellationToken ct)
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
    public static TableTransactionAction MembersAction(string partition, IReadOnlyList<string> rowKeys)
    {
        var members = new TableEntity(partition, MembersRow);
        foreach (var key in rowKeys)
        {
            members[MemberProperty(key)] = key;
        }

        return new TableTransactionAction(TableTransactionActionType.UpsertMerge, members);
    }

    public static bool IsMembersOverflow(RequestFailedException e)
        => e.ErrorCode == TableErrorCode.TooManyProperties || e.ErrorCode == TableErrorCode.EntityTooLarge;

    /// <summary>
    /// Hundreds of rows in one order: the list is replaced by the overflow flag (which no later merge removes), and
    /// readers query the partition from now on. The list restarts empty, so the merge that failed fits when retried.
    /// </summary>
    public static Task OverflowMembersAsync(TableClient table, string partition, CancellationToken ct)
        => table.UpsertEntityAsync(new TableEntity(partition, MembersRow) { [MembersOverflow] = true }, TableUpdateMode.Replace, ct);

    /// <summary>
    /// Every ledger row of a partition, by point reads where the row keys are known (see <see cref="LedgerEntities"/>).
    /// Rows in <paramref name="known"/> (by row key: rows the caller just wrote) are taken as they are, not read again.
    /// </summary>
    public static async Task<List<TableEntity>> ReadLedgerRowsAsync(
        TableClient table, string partition, CancellationToken ct, IReadOnlyDictionary<string, TableEntity>? known = null)
    {
        List<string> keys;
        if (IsOrderPartition(partition))
        {
            // The members row and the order row together: the order row is always needed.
            var fixedRows = await ReadRowsAsync(table, partition, [MembersRow, OrderRow], ct).ConfigureAwait(false);
            var members = fixedRows.GetValueOrDefault(MembersRow);
            if (members?.GetBoolean(MembersOverflow) == true)
            {
                return await ReadPartitionAsync(table, partition, ct).ConfigureAwait(false);
            }

            keys = [];
            if (members is not null)
            {
                keys.AddRange(members.Where(p => p.Key.StartsWith(MemberPropertyPrefix, StringComparison.Ordinal) && p.Value is string)
                    .Select(p => (string)p.Value));
            }

            var listed = keys.Distinct(StringComparer.Ordinal).Where(key => key != OrderRow).ToList();
            var memberRows = await Task.WhenAll(listed.Where(key => known is null || !known.ContainsKey(key)).Select(key =>
                table.GetEntityIfExistsAsync<TableEntity>(partition, key, cancellationToken: ct))).ConfigureAwait(false);
            return [.. memberRows.Where(r => r.HasValue).Select(r => r.Value!)
                .Concat(fixedRows.TryGetValue(OrderRow, out var order) ? [order] : [])
                .Concat(listed.Where(key => known is not null && known.ContainsKey(key)).Select(key => known![key]))
                .OrderBy(r => r.RowKey, StringComparer.Ordinal)];
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

        var distinct = keys.Distinct(StringComparer.Ordinal).ToList();
        var rows = await Task.WhenAll(distinct.Where(key => known is null || !known.ContainsKey(key)).Select(key =>
            table.GetEntityIfExistsAsync<TableEntity>(partition, key, cancellationToken: ct))).ConfigureAwait(false);
        return [.. rows.Where(r => r.HasValue).Select(r => r.Value!)
            .Concat(distinct.Where(key => known is not null && known.ContainsKey(key)).Select(key => known![key]))
            .OrderBy(r => r.RowKey, StringComparer.Ordinal)];
    }

    public static async Task<List<TableEntity>> ReadPartitionAsync(TableClient table, string partition, CancellationToken ct)
    {
        var rows = new List<TableEntity>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition}");
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
        {
            rows.Add(row);
        }

        return rows;
    }

    public static async Task DeletePartitionAsync(TableClient table, string partition, CancellationToken ct)
    {
        foreach (var row in await ReadLedgerRowsAsync(table, partition, ct).ConfigureAwait(false))
        {
            await table.DeleteEntityAsync(partition, row.RowKey, ETag.All, ct).ConfigureAwait(false);
        }
    }
}
