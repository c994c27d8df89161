using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Refunds.Core.Configuration;
using Refunds.Core.Ledger;
using Refunds.Core.Storage;

namespace Refunds.Core.Reconciliation;

/// <summary>
/// The watch of finished orders: which orders are watched, and when each is due. Two kinds of rows:
/// <list type="bullet">
/// <item>a <b>due row</b> per order and step, in the reconcile index table, partition <c>watch-due-{yyyyMMddHHmm}</c>
/// (the UTC minute it is due), row key the order id, so a run reads a range of past partitions only: what is due,
/// never what is not. The step after the last of the window is the <b>end row</b>: when it comes due the watch ends;</item>
/// <item>a <b>watch row</b> in the order's own ledger partition (row key <see cref="WatchRow"/>): when the order
/// entered the watch it is in now. It is the authority: a due row of an older watch is deleted without a re-check.
/// It lives beside the order's ledger rows so that the one read a re-check makes of the order brings it along.</item>
/// </list>
/// A re-check claims its step by <b>adding the next step's due row</b> (stamped with the claim's time): of two
/// overlapping runs the second gets a conflict and leaves the step alone; a claim older than the lease (its run died)
/// is taken over by an ETag write of that row. The step's own due row is deleted last. So a re-check costs one read of
/// the order (its ledger rows and watch row together), one add and one delete; a restart or a second runner neither
/// loses nor repeats a step, and every fact is in the tables.
/// </summary>
public sealed class OrderWatchIndex(
    TableServiceClient service,
    RecheckSchedule schedule,
    TimeProvider time,
    string indexTableName = StorageNames.ReconcileIndexTable,
    string ledgerTableName = StorageNames.RefundLedgerTable)
    : IOrderWatch
{
    /// <summary>The watch row's key in an order's ledger partition.</summary>
    public const string WatchRow = "watch";

    private const string DuePrefix = "watch-due-";

    private readonly TableHandle _index = new(service, indexTableName);
    private readonly TableHandle _ledger = new(service, ledgerTableName);

    public RecheckSchedule Schedule { get; } = schedule;

    /// <summary>
    /// Starts (or restarts) the watch of <paramref name="orderId"/> now: the first step's due row, then the watch row
    /// (two writes, no read). A due row of an earlier watch stays until it comes due, and is then dropped unread.
    /// </summary>
    public async Task EnterAsync(string orderId, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(orderId);
        var now = time.GetUtcNow();
        var entry = new OrderWatchEntry(orderId, now, 0, Schedule.Due(now, 0)!.Value);

        // The due row first: a crash before the watch row leaves a due row newer than the watch row, which is live.
        var index = await _index.GetAsync(ct).ConfigureAwait(false);
        await index.UpsertEntityAsync(ToDueRow(entry, claimedAt: null), TableUpdateMode.Replace, ct).ConfigureAwait(false);
        var ledger = await _ledger.GetAsync(ct).ConfigureAwait(false);
        await ledger.UpsertEntityAsync(new TableEntity(orderId, WatchRow) { ["Kind"] = "watch", ["EnteredAt"] = now }, TableUpdateMode.Replace, ct).ConfigureAwait(false);
    }

    /// <summary>Due rows whose time has come, oldest minute first, at most <paramref name="max"/>.</summary>
    public async Task<IReadOnlyList<OrderWatchEntry>> ListDueAsync(DateTimeOffset now, int max, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var table = await _index.GetAsync(ct).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {DuePrefix} and PartitionKey le {DuePartition(now)} and DueAt le {now}");
        var due = new List<OrderWatchEntry>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(max, 1000), cancellationToken: ct).ConfigureAwait(false))
        {
            due.Add(new OrderWatchEntry(row.RowKey, row.GetDateTimeOffset("EnteredAt") ?? default, row.GetInt32("Step") ?? 0, row.GetDateTimeOffset("DueAt") ?? default));
            if (due.Count >= max)
            {
                break;
            }
        }

        return due;
    }

    /// <summary>Whether <paramref name="entry"/> is the end row of its watch (the step after the window's last).</summary>
    public bool IsEnd(OrderWatchEntry entry) => Schedule.Due(ArgumentCheck(entry).EnteredAt, entry.Step) is null;

    /// <summary>
    /// What a re-check needs of the order, in one read: its ledger (requests, refunds, order row) and its watch row.
    /// A query of the order's partition (history rows left out): on Table Storage a read of that partition alone.
    /// </summary>
    public async Task<(OrderLedger Ledger, WatchMark? Watch)> ReadOrderAsync(string orderId, CancellationToken ct)
    {
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var (historyFrom, historyTo) = (LedgerEntities.HistoryPrefix, LedgerEntities.HistoryPrefix[..^1] + "}");
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {orderId} and (RowKey lt {historyFrom} or RowKey ge {historyTo})");
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
        {
            rows.Add(row);
        }

        var watch = rows.FirstOrDefault(r => r.RowKey == WatchRow) is { } w ? new WatchMark(w.GetDateTimeOffset("EnteredAt") ?? default, w.ETag) : null;
        return (LedgerEntities.ToOrderLedger(orderId, rows), watch);
    }

    /// <summary>The watch <paramref name="orderId"/> is in (one point read); null when it is not watched.</summary>
    public async Task<WatchMark?> GetWatchAsync(string orderId, CancellationToken ct)
    {
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(orderId, WatchRow, cancellationToken: ct).ConfigureAwait(false);
        return row.HasValue ? new WatchMark(row.Value!.GetDateTimeOffset("EnteredAt") ?? default, row.Value.ETag) : null;
    }

    /// <summary>
    /// Claims <paramref name="entry"/>'s step by adding the next step's due row (the end row after the last step, due
    /// <paramref name="lease"/> after it). On a conflict the row is read: the answer carries its claim time and ETag,
    /// so the caller can tell a live claim from one whose run died (<see cref="TakeOverAsync"/>).
    /// </summary>
    public async Task<WatchClaim> TryClaimAsync(OrderWatchEntry entry, DateTimeOffset now, TimeSpan lease, CancellationToken ct)
    {
        var next = NextEntry(ArgumentCheck(entry), lease);
        var table = await _index.GetAsync(ct).ConfigureAwait(false);
        try
        {
            await table.AddEntityAsync(ToDueRow(next, now), ct).ConfigureAwait(false);
            return new WatchClaim(true, now, null);
        }
        catch (RequestFailedException e) when (TableStatus.IsConflict(e))
        {
            var existing = await table.GetEntityIfExistsAsync<TableEntity>(DuePartition(next.DueAt), next.OrderId, cancellationToken: ct).ConfigureAwait(false);
            return existing.HasValue
                ? new WatchClaim(false, existing.Value!.GetDateTimeOffset("ClaimedAt"), existing.Value.ETag)
                : new WatchClaim(false, null, null);
        }
    }

    /// <summary>Takes over a step whose claim ran out: re-stamps the next due row with the ETag read. False when another runner did first.</summary>
    public async Task<bool> TakeOverAsync(OrderWatchEntry entry, ETag claimETag, DateTimeOffset now, TimeSpan lease, CancellationToken ct)
    {
        var next = NextEntry(ArgumentCheck(entry), lease);
        var table = await _index.GetAsync(ct).ConfigureAwait(false);
        try
        {
            await table.UpdateEntityAsync(new TableEntity(DuePartition(next.DueAt), next.OrderId) { ["ClaimedAt"] = now }, claimETag, TableUpdateMode.Merge, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is TableStatus.PreconditionFailed or TableStatus.NotFound)
        {
            return false;
        }
    }

    /// <summary>Ends a step: deletes its due row (a re-check done, a stale row, or an end row whose watch is closed).</summary>
    public async Task DropAsync(OrderWatchEntry entry, CancellationToken ct)
    {
        var table = await _index.GetAsync(ct).ConfigureAwait(false);
        await DeleteIfExistsAsync(table, DuePartition(ArgumentCheck(entry).DueAt), entry.OrderId, ETag.All, ct).ConfigureAwait(false);
    }

    /// <summary>Ends the watch <paramref name="mark"/> describes: deletes the watch row unless the order entered the watch again since.</summary>
    public async Task CloseAsync(string orderId, WatchMark mark, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(mark);
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        await DeleteIfExistsAsync(table, orderId, WatchRow, mark.ETag, ct).ConfigureAwait(false);
    }

    /// <summary>The step after <paramref name="entry"/>: the schedule's next, or the end row one lease after the last step.</summary>
    private OrderWatchEntry NextEntry(OrderWatchEntry entry, TimeSpan lease)
        => new(entry.OrderId, entry.EnteredAt, entry.Step + 1, Schedule.Due(entry.EnteredAt, entry.Step + 1) ?? entry.DueAt + lease);

    private static OrderWatchEntry ArgumentCheck(OrderWatchEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry;
    }

    private static async Task DeleteIfExistsAsync(TableClient table, string partition, string rowKey, ETag etag, CancellationToken ct)
    {
        try
        {
            await table.DeleteEntityAsync(partition, rowKey, etag, ct).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is TableStatus.NotFound or TableStatus.PreconditionFailed)
        {
            // Gone already, or (a watch row) rewritten by a newer watch, which goes on.
        }
    }

    private static TableEntity ToDueRow(OrderWatchEntry entry, DateTimeOffset? claimedAt) => new(DuePartition(entry.DueAt), entry.OrderId)
    {
        ["EnteredAt"] = entry.EnteredAt,
        ["Step"] = entry.Step,
        ["DueAt"] = entry.DueAt,
        ["ClaimedAt"] = claimedAt,
    };

    private static string DuePartition(DateTimeOffset due) => DuePrefix + due.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);
}

/// <summary>One due step: step <see cref="Step"/> (0 = the first) of the watch <see cref="OrderId"/> entered at <see cref="EnteredAt"/>.</summary>
public sealed record OrderWatchEntry(string OrderId, DateTimeOffset EnteredAt, int Step, DateTimeOffset DueAt);

/// <summary>The watch an order is in (its watch row): entered at <see cref="EnteredAt"/>; <see cref="ETag"/> guards closing it.</summary>
public sealed record WatchMark(DateTimeOffset EnteredAt, ETag ETag);

/// <summary>
/// A claim's outcome: <see cref="Won"/>, or the existing claim's time (null: unknown, e.g. the row went meanwhile)
/// and the ETag to take it over with.
/// </summary>
public sealed record WatchClaim(bool Won, DateTimeOffset? ClaimedAt, ETag? ETag);
