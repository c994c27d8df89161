using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Refunds.Core.Configuration;
using Refunds.Core.Ledger;
using Refunds.Core.Storage;

namespace Refunds.Core.Reconciliation;

/// <summary>
/// The watch of finished orders: which orders are watched, and when each is due. Two places:
/// <list type="bullet">
/// <item>a <b>due row</b> per order and step, in the reconcile index table, partition <c>watch-due-{yyyyMMddHHmm}</c>
/// (the UTC minute it is due), row key the order id, so a run reads a range of past partitions only: what is due,
/// never what is not. The step after the last of the window is the <b>end row</b>: when it comes due the watch ends;</item>
/// <item>the <b>watch</b> itself, as properties of the order's members row in the ledger (<c>WatchEnteredAt</c>,
/// <c>WatchRefunds</c>: a <see cref="WatchSnapshot"/>, <c>WatchEndedAt</c>): when the order entered the watch it is in
/// now, and the refunds the ledger held then. It is the authority: a due row of an older watch is deleted without a
/// re-check. The members row is the one row a re-check reads: with the snapshot it shows whether the ledger changed.</item>
/// </list>
/// A re-check claims its step by <b>adding the next step's due row</b> (stamped with the claim's time): of two
/// overlapping runs the second gets a conflict and leaves the step alone; a claim older than the lease (its run died)
/// is taken over by an ETag write of that row. The step's own due row is deleted last. So a re-check that finds what
/// the snapshot holds costs one point read, one add and one delete; a restart or a second runner neither loses nor
/// repeats a step, and every fact is in the tables.
/// </summary>
public sealed class OrderWatchIndex(
    TableServiceClient service,
    RecheckSchedule schedule,
    TimeProvider time,
    string indexTableName = StorageNames.ReconcileIndexTable,
    string ledgerTableName = StorageNames.RefundLedgerTable)
    : IOrderWatch
{
    private const string EnteredAtProperty = "WatchEnteredAt";
    private const string EndedAtProperty = "WatchEndedAt";
    private const string RefundsProperty = "WatchRefunds";
    private const string DuePrefix = "watch-due-";

    private readonly TableHandle _index = new(service, indexTableName);
    private readonly TableHandle _ledger = new(service, ledgerTableName);

    public RecheckSchedule Schedule { get; } = schedule;

    /// <summary>
    /// Starts (or restarts) the watch of <paramref name="orderId"/> now, with the refunds the caller just read: the
    /// first step's due row, then the watch in the members row (two writes, no read). A due row of an earlier watch
    /// stays until it comes due, and is then dropped unread.
    /// </summary>
    public async Task EnterAsync(string orderId, IReadOnlyCollection<RefundRecord> refunds, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(orderId);
        ArgumentNullException.ThrowIfNull(refunds);
        var now = time.GetUtcNow();
        var entry = new OrderWatchEntry(orderId, now, 0, Schedule.Due(now, 0)!.Value);

        // The due row first: a crash before the watch is written leaves a due row newer than the watch, which is live.
        var index = await _index.GetAsync(ct).ConfigureAwait(false);
        await index.UpsertEntityAsync(ToDueRow(entry, claimedAt: null), TableUpdateMode.Replace, ct).ConfigureAwait(false);
        var ledger = await _ledger.GetAsync(ct).ConfigureAwait(false);
        await MergeIntoMembersAsync(ledger, new TableEntity(orderId, LedgerEntities.MembersRow)
        {
            [EnteredAtProperty] = now,
            [RefundsProperty] = WatchSnapshot.Of(refunds).ToStoredJson(),
        }, ct).ConfigureAwait(false);
    }

    /// <summary><see cref="EnterAsync(string, IReadOnlyCollection{RefundRecord}, CancellationToken)"/> with the refunds read from the ledger first (for callers that hold none).</summary>
    public async Task EnterAsync(string orderId, CancellationToken ct)
    {
        var ledger = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var rows = await LedgerPartitionReader.ReadLedgerRowsAsync(ledger, orderId, ct).ConfigureAwait(false);
        await EnterAsync(orderId, LedgerEntities.ToOrderLedger(orderId, rows).Refunds, ct).ConfigureAwait(false);
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
    /// What a re-check reads of the order (one point read of its members row): the watch it is in, the snapshot, and
    /// the refund rows the ledger lists now. Null when the order has no members row.
    /// </summary>
    public async Task<WatchState?> ReadWatchAsync(string orderId, CancellationToken ct)
    {
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(orderId, LedgerEntities.MembersRow, cancellationToken: ct).ConfigureAwait(false);
        if (!row.HasValue)
        {
            return null;
        }

        var members = row.Value!;
        var listed = members.GetBoolean(LedgerEntities.MembersOverflow) == true
            ? null
            : members.Where(p => p.Key.StartsWith(LedgerEntities.MemberPropertyPrefix, StringComparison.Ordinal) && p.Value is string key && key.StartsWith(LedgerEntities.RefundPrefix, StringComparison.Ordinal))
                .Select(p => (string)p.Value).ToHashSet(StringComparer.Ordinal);
        return new WatchState(
            members.GetDateTimeOffset(EnteredAtProperty),
            members.GetDateTimeOffset(EndedAtProperty),
            WatchSnapshot.FromJson(members.GetString(RefundsProperty)),
            listed,
            members.ETag);
    }

    /// <summary>The time <paramref name="orderId"/> entered the watch it is in; null when it is not watched (never, or its watch ended).</summary>
    public async Task<DateTimeOffset?> GetWatchAsync(string orderId, CancellationToken ct)
        => await ReadWatchAsync(orderId, ct).ConfigureAwait(false) is { EnteredAt: { } entered } state && !(state.EndedAt >= entered) ? entered : null;

    /// <summary>Replaces the snapshot after a re-check changed the order's refunds, so the next step can again stop at one read.</summary>
    public async Task RecordSnapshotAsync(string orderId, IReadOnlyCollection<RefundRecord> refunds, CancellationToken ct)
    {
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        await MergeIntoMembersAsync(table, new TableEntity(orderId, LedgerEntities.MembersRow) { [RefundsProperty] = WatchSnapshot.Of(refunds).ToStoredJson() }, ct).ConfigureAwait(false);
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

    /// <summary>
    /// Ends the watch <paramref name="state"/> was read from: stamps <c>WatchEndedAt</c> with the members row's ETag, so
    /// an entry (or any ledger write) since then wins and the watch goes on. Returns whether it was stamped.
    /// </summary>
    public async Task<bool> CloseAsync(string orderId, WatchState state, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(state);
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        try
        {
            await table.UpdateEntityAsync(new TableEntity(orderId, LedgerEntities.MembersRow) { [EndedAtProperty] = time.GetUtcNow() }, state.ETag, TableUpdateMode.Merge, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is TableStatus.PreconditionFailed or TableStatus.NotFound)
        {
            return false;
        }
    }

    /// <summary>Merges watch properties into the members row; past the row's size limit the list is marked overflowed (LedgerPartitionReader) and the merge retried.</summary>
    private static async Task MergeIntoMembersAsync(TableClient table, TableEntity watch, CancellationToken ct)
    {
        try
        {
            await table.UpsertEntityAsync(watch, TableUpdateMode.Merge, ct).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (LedgerPartitionReader.IsMembersOverflow(e))
        {
            await LedgerPartitionReader.OverflowMembersAsync(table, watch.PartitionKey, ct).ConfigureAwait(false);
            await table.UpsertEntityAsync(watch, TableUpdateMode.Merge, ct).ConfigureAwait(false);
        }
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

/// <summary>
/// The watch as a re-check reads it from the members row: entered at <see cref="EnteredAt"/> (null: never, or the row
/// lost it), ended at <see cref="EndedAt"/>, the <see cref="Snapshot"/> (null: none readable), the refund rows the
/// ledger lists now (<see cref="ListedRefundRows"/>; null: the list overflowed) and the row's <see cref="ETag"/>.
/// </summary>
public sealed record WatchState(DateTimeOffset? EnteredAt, DateTimeOffset? EndedAt, WatchSnapshot? Snapshot, IReadOnlySet<string>? ListedRefundRows, ETag ETag);

/// <summary>
/// A claim's outcome: <see cref="Won"/>, or the existing claim's time (null: unknown, e.g. the row went meanwhile)
/// and the ETag to take it over with.
/// </summary>
public sealed record WatchClaim(bool Won, DateTimeOffset? ClaimedAt, ETag? ETag);
