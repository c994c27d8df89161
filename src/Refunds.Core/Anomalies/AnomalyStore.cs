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
/// again (replayed webhooks, every run) only refreshes the outcome and <c>LastSeenAt</c>. It also keeps a
/// <see cref="MerchantOrderRecord"/> per merchant order number (partition <c>merchant-order|{merchant_order_no}</c>),
/// because a <c>charge.succeeded</c> event names the merchant order number but not the Ping++ order; that record is
/// written with ETags, so concurrent deliveries lose nothing.
/// </summary>
public sealed class AnomalyStore(TableServiceClient service, TimeProvider time, string tableName = StorageNames.AnomaliesTable)
{
    private const string MerchantOrderPrefix = "merchant-order|";
    private const string MerchantOrderRow = "order";
    private const int MaxConcurrencyRetries = 32;

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

    /// <summary>
    /// Remembers the order behind a merchant order number and the charges its order event lists (merged with earlier
    /// ones). Charges announced by <c>charge.succeeded</c> before any order event are taken in as the order's; the ones
    /// this event does not list are returned: payments the event does not show, so the order must be checked.
    /// </summary>
    public async Task<IReadOnlyList<string>> RememberOrderAsync(string merchantOrderNo, string orderId, IEnumerable<string> chargeIds, CancellationToken ct)
    {
        var listed = chargeIds.ToList();
        var unlisted = new List<string>();
        await UpdateMerchantOrderAsync(merchantOrderNo, known =>
        {
            unlisted = [.. (known?.ChargesWithoutOrder ?? []).Except(listed, StringComparer.Ordinal)];
            var charges = (known?.ChargeIds ?? []).Union(listed, StringComparer.Ordinal).Union(known?.ChargesWithoutOrder ?? [], StringComparer.Ordinal);
            return new MerchantOrderRecord(merchantOrderNo, orderId, Sorted(charges), []);
        }, ct).ConfigureAwait(false);
        return unlisted;
    }

    /// <summary>
    /// Remembers a charge announced by <c>charge.succeeded</c>: added to the known order's charges, or, before any order
    /// event, kept as a charge waiting for its order (see <see cref="RememberOrderAsync"/>). Null when the merchant
    /// order number cannot be stored.
    /// </summary>
    public async Task<ChargeNoted?> RememberChargeAsync(string merchantOrderNo, string chargeId, CancellationToken ct)
    {
        ChargeNoted? noted = null;
        var stored = await UpdateMerchantOrderAsync(merchantOrderNo, known =>
        {
            if (known?.OrderId is { } orderId)
            {
                var isNew = !known.ChargeIds.Contains(chargeId, StringComparer.Ordinal);
                noted = new ChargeNoted(orderId, isNew);
                return isNew ? known with { ChargeIds = Sorted(known.ChargeIds.Append(chargeId)) } : known;
            }

            noted = new ChargeNoted(null, true);
            var waiting = known?.ChargesWithoutOrder ?? [];
            return waiting.Contains(chargeId, StringComparer.Ordinal)
                ? known!
                : new MerchantOrderRecord(merchantOrderNo, null, known?.ChargeIds ?? [], Sorted(waiting.Append(chargeId)));
        }, ct).ConfigureAwait(false);
        return stored ? noted : null;
    }

    public async Task<MerchantOrderRecord?> FindMerchantOrderAsync(string merchantOrderNo, CancellationToken ct)
    {
        if (!TableKeys.IsValidId(merchantOrderNo))
        {
            return null;
        }

        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(MerchantOrderPrefix + merchantOrderNo, MerchantOrderRow, cancellationToken: ct).ConfigureAwait(false);
        return row.HasValue ? ReadMerchantOrder(merchantOrderNo, row.Value!) : null;
    }

    /// <summary>
    /// Read, change, write back only if nobody wrote in between (ETag; a first write is an add, which fails if another
    /// writer added first), else read again and retry. Returns false when the merchant order number cannot be a key.
    /// </summary>
    private async Task<bool> UpdateMerchantOrderAsync(string merchantOrderNo, Func<MerchantOrderRecord?, MerchantOrderRecord> change, CancellationToken ct)
    {
        if (!TableKeys.IsValidId(merchantOrderNo))
        {
            return false;
        }

        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        for (var attempt = 0; attempt < MaxConcurrencyRetries; attempt++)
        {
            var row = await table.GetEntityIfExistsAsync<TableEntity>(MerchantOrderPrefix + merchantOrderNo, MerchantOrderRow, cancellationToken: ct).ConfigureAwait(false);
            var known = row.HasValue ? ReadMerchantOrder(merchantOrderNo, row.Value!) : null;
            var next = change(known);
            if (next == known)
            {
                return true;
            }

            var entity = new TableEntity(MerchantOrderPrefix + merchantOrderNo, MerchantOrderRow)
            {
                ["OrderId"] = next.OrderId,
                ["ChargeIds"] = JsonSerializer.Serialize(next.ChargeIds),
                ["ChargesWithoutOrder"] = JsonSerializer.Serialize(next.ChargesWithoutOrder),
            };
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

                return true;
            }
            catch (RequestFailedException e) when (TableStatus.IsConcurrencyLoss(e))
            {
                // Another delivery wrote first: merge into what it wrote.
            }
        }

        throw new InvalidOperationException($"The merchant-order record {merchantOrderNo} kept changing under {MaxConcurrencyRetries} attempts to update it.");
    }

    private static MerchantOrderRecord ReadMerchantOrder(string merchantOrderNo, TableEntity e) => new(
        merchantOrderNo,
        e.GetString("OrderId") is { Length: > 0 } orderId ? orderId : null,
        JsonSerializer.Deserialize<List<string>>(e.GetString("ChargeIds") ?? "[]") ?? [],
        JsonSerializer.Deserialize<List<string>>(e.GetString("ChargesWithoutOrder") ?? "[]") ?? []);

    private static List<string> Sorted(IEnumerable<string> ids) => [.. ids.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
}

/// <summary>
/// What anomaly detection knows about a merchant order number: its Ping++ order (null until an order event names it),
/// the charges known to that order, and charges announced by <c>charge.succeeded</c> before any order event.
/// </summary>
public sealed record MerchantOrderRecord(string MerchantOrderNo, string? OrderId, IReadOnlyList<string> ChargeIds, IReadOnlyList<string> ChargesWithoutOrder)
{
    public bool Equals(MerchantOrderRecord? other)
        => other is not null && MerchantOrderNo == other.MerchantOrderNo && OrderId == other.OrderId
           && ChargeIds.SequenceEqual(other.ChargeIds, StringComparer.Ordinal)
           && ChargesWithoutOrder.SequenceEqual(other.ChargesWithoutOrder, StringComparer.Ordinal);

    public override int GetHashCode() => HashCode.Combine(MerchantOrderNo, OrderId, ChargeIds.Count, ChargesWithoutOrder.Count);
}

/// <summary>
/// What <see cref="AnomalyStore.RememberChargeAsync"/> did: <see cref="OrderId"/> is the known order (null: kept until an
/// order event names it); <see cref="NewToOrder"/> is true when the order did not have the charge yet.
/// </summary>
public sealed record ChargeNoted(string? OrderId, bool NewToOrder);
