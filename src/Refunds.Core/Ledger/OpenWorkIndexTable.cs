using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Refunds.Core.Pingpp;
using Refunds.Core.Storage;
using static Refunds.Core.Ledger.LedgerEntities;
using static Refunds.Core.Ledger.LedgerPartitionReader;

namespace Refunds.Core.Ledger;

/// <summary>
/// The open-work index table: one row per ledger partition with something to reconcile, spread over
/// <see cref="PartitionCount"/> partitions (<c>open-0</c>…), so reconciliation costs O(open), not O(history).
/// </summary>
/// <remarks>
/// Protocol (see <see cref="RefundLedger"/>): a change that may open work upserts the row before writing the ledger; a
/// change that may close work ends with <see cref="RefreshAsync(string, CancellationToken)"/>, which deletes only with
/// the ETag it read before reading the partition's rows, so a concurrent opener always leaves the row in place.
/// </remarks>
internal sealed class OpenWorkIndexTable(TableHandle ledger, TableHandle index, TimeProvider time, ILogger logger, IOrderWatch? watch = null)
{
    public const int PartitionCount = RefundLedger.IndexPartitionCount;
    /// <summary>At most this many reasons are kept, on an index row as on an order's mark.</summary>
    public const int MaxReasons = 20;

    private readonly TableHandle _ledger = ledger;
    private readonly TableHandle _index = index;
    private readonly TimeProvider _time = time;
    private readonly ILogger _logger = logger;
    private readonly IOrderWatch? _watch = watch;

    /// <summary>Open work only, paged over the index partitions.</summary>
    public async Task<OpenWorkPage> ListAsync(int maxItems, string? continuation, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItems, 1);
        var index = await _index.GetAsync(ct).ConfigureAwait(false);
        var (bucket, token) = ParseContinuation(continuation);
        var items = new List<OpenWorkItem>();
        while (bucket < PartitionCount && items.Count < maxItems)
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

        var next = bucket >= PartitionCount ? null : $"{bucket}:{token}";
        return new OpenWorkPage(items, next);
    }

    /// <summary>Recomputes whether a ledger partition has open work and upserts or deletes its index row; returns whether it is open.</summary>
    public Task<bool> RefreshAsync(string ledgerKey, CancellationToken ct) => RefreshAsync(ledgerKey, null, ct);

    /// <summary>
    /// <see cref="RefreshAsync(string, CancellationToken)"/> after a change of the caller's: with
    /// <paramref name="before"/> (<see cref="ReadRowAsync"/> called before the change's transaction), the rows that
    /// transaction wrote are taken as written instead of read again. Safe for the same reason as the plain refresh:
    /// the index row was read before them, and an opener that changes them afterwards either upserts the index row
    /// after reading them (so the delete fails) or refreshes itself.
    /// </summary>
    public async Task<bool> RefreshAsync(string ledgerKey, IndexRowBefore? before, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(ledgerKey);
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var index = await _index.GetAsync(ct).ConfigureAwait(false);
        var indexPartition = IndexPartition(TableKeys.Bucket(ledgerKey, PartitionCount));

        // Read the index row (and its ETag) BEFORE scanning: a delete must lose to any upsert that happened since.
        var existing = before?.Row ?? await index.GetEntityIfExistsAsync<TableEntity>(indexPartition, ledgerKey, cancellationToken: ct).ConfigureAwait(false);
        var known = before?.Written.Where(r => r.RowKey != MembersRow).ToDictionary(r => r.RowKey, StringComparer.Ordinal);
        var rows = await ReadLedgerRowsAsync(table, ledgerKey, ct, known).ConfigureAwait(false);
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
            await UpsertAsync(ledgerKey, reasons, ct, orphanRefund, charge).ConfigureAwait(false);
            return true;
        }

        if (existing.HasValue)
        {
            if (_watch is not null && IsOrderPartition(ledgerKey))
            {
                // Before the delete: a crash in between leaves the order open, and the next refresh enters it again.
                await _watch.EnterAsync(ledgerKey, [.. rows.Where(r => Kind(r) == "refund").Select(ToRefund)], ct).ConfigureAwait(false);
            }

            try
            {
                await index.DeleteEntityAsync(indexPartition, ledgerKey, existing.Value!.ETag, ct).ConfigureAwait(false);
                RefundLedger.Log.OpenWorkClosed(_logger, ledgerKey);
            }
            catch (RequestFailedException e) when (e.Status is TableStatus.PreconditionFailed or TableStatus.NotFound)
            {
                // Someone opened work (or closed it) meanwhile; their refresh decides.
            }
        }

        return false;
    }

    /// <summary>The index row of <paramref name="ledgerKey"/> as it is now, for a refresh after a change (read before the change).</summary>
    public async Task<IndexRowBefore> ReadRowAsync(string ledgerKey, CancellationToken ct)
    {
        var index = await _index.GetAsync(ct).ConfigureAwait(false);
        var row = await index.GetEntityIfExistsAsync<TableEntity>(IndexPartition(TableKeys.Bucket(ledgerKey, PartitionCount)), ledgerKey, cancellationToken: ct).ConfigureAwait(false);
        return new IndexRowBefore(row);
    }

    /// <summary>Upserts the index row of <paramref name="ledgerKey"/> (opening work: before the ledger write).</summary>
    public async Task UpsertAsync(string ledgerKey, IReadOnlyList<string> reasons, CancellationToken ct, string? orphanRefundId = null, string? chargeId = null)
    {
        var index = await _index.GetAsync(ct).ConfigureAwait(false);
        var entity = new TableEntity(IndexPartition(TableKeys.Bucket(ledgerKey, PartitionCount)), ledgerKey)
        {
            ["OrderId"] = IsOrderPartition(ledgerKey) ? ledgerKey : null,
            ["RefundId"] = orphanRefundId,
            ["ChargeId"] = chargeId,
            ["Reasons"] = System.Text.Json.JsonSerializer.Serialize(reasons.Take(MaxReasons)),
            ["UpdatedAt"] = _time.GetUtcNow(),
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
        if (colon < 0 || !int.TryParse(continuation.AsSpan(0, colon), out var bucket) || bucket is < 0 or >= PartitionCount)
        {
            throw new ArgumentException("Not a continuation returned by ListOpenWorkAsync.", nameof(continuation));
        }

        var token = continuation[(colon + 1)..];
        return (bucket, token.Length == 0 ? null : token);
    }
}

/// <summary>An index row read before a change (<see cref="Row"/>), and the ledger rows the change then wrote.</summary>
internal sealed class IndexRowBefore(NullableResponse<TableEntity> row)
{
    public NullableResponse<TableEntity> Row { get; } = row;

    public IReadOnlyList<TableEntity> Written { get; set; } = [];
}
