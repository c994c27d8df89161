using Azure;
using Azure.Data.Tables;
using Refunds.Core.Configuration;
using Refunds.Core.Storage;

namespace Refunds.Core.Reconciliation;

/// <summary>
/// Where the order-list sweep is (one cursor row) and what it found (one row per order), in the reconcile index
/// table under partitions of their own. The cursor is written only with its ETag (a first write is an add), so of two
/// overlapping runs only one moves it; a finding is added once and never replaced.
/// </summary>
public sealed class OrderSweepStore(TableServiceClient service, string tableName = StorageNames.ReconcileIndexTable)
{
    private const string CursorPartition = "order-sweep";
    private const string CursorRow = "cursor";
    private const string FindingsPartition = "order-sweep-found";

    private readonly TableHandle _table = new(service, tableName);

    /// <summary>The stored cursor with its ETag; null when no sweep ever started.</summary>
    public async Task<(OrderSweepCursor Cursor, ETag ETag)?> GetCursorAsync(CancellationToken ct)
    {
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(CursorPartition, CursorRow, cancellationToken: ct).ConfigureAwait(false);
        if (!row.HasValue)
        {
            return null;
        }

        var e = row.Value!;
        var cursor = new OrderSweepCursor(
            e.GetInt64("CreatedFrom") ?? 0,
            e.GetInt64("CreatedTo") ?? 0,
            e.GetInt32("NextPage") ?? 0,
            e.GetDateTimeOffset("StartedAt"),
            e.GetDateTimeOffset("LastCompletedAt"));
        return (cursor, e.ETag);
    }

    /// <summary>Writes the cursor if nobody wrote it since <paramref name="etag"/> was read (null: only if none exists). Returns the new ETag, or null when another run wrote first.</summary>
    public async Task<ETag?> TrySaveCursorAsync(OrderSweepCursor cursor, ETag? etag, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var entity = new TableEntity(CursorPartition, CursorRow)
        {
            ["CreatedFrom"] = cursor.CreatedFrom,
            ["CreatedTo"] = cursor.CreatedTo,
            ["NextPage"] = cursor.NextPage,
            ["StartedAt"] = cursor.StartedAt,
            ["LastCompletedAt"] = cursor.LastCompletedAt,
            ["SavedAt"] = now,
        };
        try
        {
            var response = etag is { } match
                ? await table.UpdateEntityAsync(entity, match, TableUpdateMode.Replace, ct).ConfigureAwait(false)
                : await table.AddEntityAsync(entity, ct).ConfigureAwait(false);
            return response.Headers.ETag;
        }
        catch (RequestFailedException e) when (TableStatus.IsConcurrencyLoss(e))
        {
            return null;
        }
    }

    public async Task<bool> HasFindingAsync(string orderId, CancellationToken ct)
    {
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(FindingsPartition, orderId, ["Found"], ct).ConfigureAwait(false);
        return row.HasValue;
    }

    /// <summary>Records what the sweep found on an order and what it did; returns false when it was already recorded (the first record stays).</summary>
    public async Task<bool> RecordFindingAsync(OrderSweepFinding finding, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(finding);
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var entity = new TableEntity(FindingsPartition, finding.OrderId)
        {
            ["Found"] = finding.Found,
            ["Done"] = finding.Done,
            ["FoundAt"] = finding.FoundAt,
        };
        try
        {
            await table.AddEntityAsync(entity, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (TableStatus.IsConcurrencyLoss(e))
        {
            return false;
        }
    }

    public async Task<OrderSweepFinding?> GetFindingAsync(string orderId, CancellationToken ct)
    {
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(FindingsPartition, orderId, cancellationToken: ct).ConfigureAwait(false);
        return row.HasValue
            ? new OrderSweepFinding(orderId, row.Value!.GetString("Found") ?? "", row.Value.GetString("Done") ?? "", row.Value.GetDateTimeOffset("FoundAt") ?? default)
            : null;
    }
}

/// <summary>
/// A sweep's position: the creation-time bounds it lists (Unix seconds, fixed for the whole sweep so pages stay put)
/// and the next page to read; <see cref="NextPage"/> 0 means no sweep is under way.
/// </summary>
public sealed record OrderSweepCursor(long CreatedFrom, long CreatedTo, int NextPage, DateTimeOffset? StartedAt, DateTimeOffset? LastCompletedAt)
{
    public bool InProgress => NextPage > 0;
}

/// <summary>What the sweep found on an order none of our records pointed to, and what it did about it.</summary>
public sealed record OrderSweepFinding(string OrderId, string Found, string Done, DateTimeOffset FoundAt);
