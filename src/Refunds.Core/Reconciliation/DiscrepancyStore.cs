using Azure;
using Azure.Data.Tables;
using Refunds.Core.Configuration;
using Refunds.Core.Storage;

namespace Refunds.Core.Reconciliation;

/// <summary>
/// The <c>Discrepancies</c> table: one row per discrepancy kind per order (and refund), PartitionKey = order id,
/// RowKey = <c>{kind}|{refund id or "order"}</c>. Recording the same discrepancy again only refreshes both views and
/// <c>LastSeenAt</c>, so concurrent or repeated runs converge on one row.
/// </summary>
public sealed class DiscrepancyStore(TableServiceClient service, TimeProvider time, string tableName = StorageNames.DiscrepanciesTable)
{
    private readonly TableHandle _table = new(service, tableName);

    /// <summary>Records the discrepancy; returns true when it is new.</summary>
    public async Task<bool> RecordAsync(Discrepancy discrepancy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(discrepancy);
        var table = await _table.GetAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var entity = new TableEntity(discrepancy.Key, RowKey(discrepancy.Kind, discrepancy.RefundId))
        {
            ["Kind"] = discrepancy.Kind.ToString(),
            ["OrderId"] = discrepancy.Key,
            ["RefundId"] = discrepancy.RefundId,
            ["RequestId"] = discrepancy.RequestId,
            ["LedgerView"] = discrepancy.LedgerView,
            ["PingppView"] = discrepancy.PingppView,
            ["LastSeenAt"] = now,
        };
        return await FirstSeenRecords.RecordAsync(table, entity, now, [], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every discrepancy recorded for <paramref name="key"/> (one partition).</summary>
    public async Task<IReadOnlyList<Discrepancy>> ListAsync(string key, CancellationToken cancellationToken)
    {
        var table = await _table.GetAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<Discrepancy>();
        await foreach (var e in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {key}"), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new Discrepancy(
                Enum.Parse<DiscrepancyKind>(e.GetString("Kind")!),
                e.PartitionKey,
                e.GetString("RefundId"),
                e.GetString("RequestId"),
                e.GetString("LedgerView") ?? "",
                e.GetString("PingppView") ?? ""));
        }

        return rows;
    }

    private static string RowKey(DiscrepancyKind kind, string? refundId) => $"{kind}|{refundId ?? "order"}";
}
