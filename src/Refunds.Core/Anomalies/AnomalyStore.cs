using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Refunds.Core.Configuration;
using Refunds.Core.Refunds;
using Refunds.Core.Storage;

namespace Refunds.Core.Anomalies;

/// <summary>A recorded abnormal payment (a row of the <c>Anomalies</c> table).</summary>
public sealed record AnomalyRecord(
    string OrderId,
    AnomalyKind Kind,
    long AmountPaid,
    long ActualAmount,
    long AmountToRefund,
    IReadOnlyList<PlannedAnomalyRefund> Refunds,
    string Outcome,
    string Source,
    DateTimeOffset FirstSeenAt,
    DateTimeOffset LastSeenAt);

/// <summary>
/// The <c>Anomalies</c> table. PartitionKey = order id, RowKey = the kind's slug: one row per anomaly, so recording it
/// again (replayed webhooks, every run) only refreshes the outcome and <c>LastSeenAt</c>. It also remembers which
/// charges each order had when its order event arrived (partition <c>merchant-order|{merchant_order_no}</c>), because
/// a <c>charge.succeeded</c> event names the merchant order number but not the Ping++ order.
/// </summary>
public sealed class AnomalyStore(TableServiceClient service, TimeProvider time, string tableName = StorageNames.AnomaliesTable)
{
    private const string MerchantOrderPrefix = "merchant-order|";
    private const string MerchantOrderRow = "order";

    private readonly TableHandle _table = new(service, tableName);

    /// <summary>
    /// Records (or refreshes) the anomaly; returns true when it is new. <paramref name="keepOutcome"/>: an existing
    /// row keeps its outcome and source (a webhook seeing the anomaly again says nothing new about what was done).
    /// </summary>
    public async Task<bool> RecordAsync(PaymentAnomaly anomaly, string outcome, string source, CancellationToken ct, bool keepOutcome = false)
    {
        ArgumentNullException.ThrowIfNull(anomaly);
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var entity = new TableEntity(anomaly.OrderId, AnomalyRefundRequestIds.Slug(anomaly.Kind))
        {
            ["Kind"] = anomaly.Kind.ToString(),
            ["OrderId"] = anomaly.OrderId,
            ["PingppStatus"] = anomaly.Status,
            ["AmountPaid"] = anomaly.AmountPaid,
            ["ActualAmount"] = anomaly.ActualAmount,
            ["AmountRefunded"] = anomaly.AmountRefunded,
            ["AmountToRefund"] = anomaly.AmountToRefund,
            ["Plan"] = JsonSerializer.Serialize(anomaly.Refunds),
            ["Outcome"] = outcome,
            ["Source"] = source,
            ["LastSeenAt"] = now,
        };
        return await FirstSeenRecords.RecordAsync(table, entity, now, keepOutcome ? KeptOutcome : [], ct).ConfigureAwait(false);
    }

    private static readonly string[] KeptOutcome = ["Outcome", "Source"];

    public async Task<IReadOnlyList<AnomalyRecord>> ListAsync(string orderId, CancellationToken ct)
    {
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var rows = new List<AnomalyRecord>();
        await foreach (var e in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {orderId}"), cancellationToken: ct).ConfigureAwait(false))
        {
            rows.Add(new AnomalyRecord(
                e.PartitionKey,
                Enum.Parse<AnomalyKind>(e.GetString("Kind")!),
                e.GetInt64("AmountPaid") ?? 0,
                e.GetInt64("ActualAmount") ?? 0,
                e.GetInt64("AmountToRefund") ?? 0,
                JsonSerializer.Deserialize<List<PlannedAnomalyRefund>>(e.GetString("Plan") ?? "[]") ?? [],
                e.GetString("Outcome") ?? "",
                e.GetString("Source") ?? "",
                e.GetDateTimeOffset("FirstSeenAt") ?? default,
                e.GetDateTimeOffset("LastSeenAt") ?? default));
        }

        return rows;
    }

    /// <summary>
    /// Whether the order was seen canceled and paid before (its paid-after-cancel anomaly is recorded): once anything
    /// is refunded Ping++ says <c>refunded</c> instead of <c>canceled</c>, and the plan must not change.
    /// </summary>
    public async Task<bool> WasPaidAfterCancelAsync(string orderId, CancellationToken ct)
    {
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(orderId, AnomalyRefundRequestIds.Slug(AnomalyKind.PaidAfterCancel), ["Kind"], ct).ConfigureAwait(false);
        return row.HasValue;
    }

    /// <summary>Remembers the order behind a merchant order number and the charges it had (merged with earlier ones).</summary>
    public async Task RememberOrderAsync(string merchantOrderNo, string orderId, IEnumerable<string> chargeIds, CancellationToken ct)
    {
        if (!TableKeys.IsValidId(merchantOrderNo))
        {
            return;
        }

        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var known = await FindOrderAsync(merchantOrderNo, ct).ConfigureAwait(false);
        var charges = (known?.ChargeIds ?? []).Union(chargeIds, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var entity = new TableEntity(MerchantOrderPrefix + merchantOrderNo, MerchantOrderRow)
        {
            ["OrderId"] = orderId,
            ["ChargeIds"] = JsonSerializer.Serialize(charges),
        };
        await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, ct).ConfigureAwait(false);
    }

    public async Task<(string OrderId, IReadOnlyList<string> ChargeIds)?> FindOrderAsync(string merchantOrderNo, CancellationToken ct)
    {
        if (!TableKeys.IsValidId(merchantOrderNo))
        {
            return null;
        }

        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(MerchantOrderPrefix + merchantOrderNo, MerchantOrderRow, cancellationToken: ct).ConfigureAwait(false);
        return row.HasValue
            ? (row.Value!.GetString("OrderId")!, JsonSerializer.Deserialize<List<string>>(row.Value.GetString("ChargeIds") ?? "[]") ?? [])
            : null;
    }
}
