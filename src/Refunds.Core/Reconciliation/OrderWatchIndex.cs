using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Refunds.Core.Configuration;
using Refunds.Core.Ledger;
using Refunds.Core.Storage;

namespace Refunds.Core.Reconciliation;

/// <summary>
/// The due-time index of watched (finished) orders, in the reconcile index table beside the open-work index. Two kinds
/// of rows:
/// <list type="bullet">
/// <item>a <b>due row</b> per order, in partition <c>watch-due-{yyyyMMddHHmm}</c> (the UTC minute it is due), so a run
/// reads a range of past partitions only: what is due, never what is not;</item>
/// <item>a <b>pointer row</b> per order, in <c>watch-order-{0..7}</c> (hash of the order id): the watch the order is
/// in (entered at, next step, where its due row is, when a run claimed the step). It is the authority: a due row that
/// an older watch or step left behind is deleted unread.</item>
/// </list>
/// A re-check claims its step by an ETag write of the pointer (so of two overlapping runs one acts), then adds the next
/// due row (an add: repeating it is harmless), and deletes the due row last. A crash leaves the due row in place; it is
/// taken again once the claim is older than the lease. Restarts change nothing: every fact is in the table.
/// </summary>
public sealed class OrderWatchIndex(TableServiceClient service, RecheckSchedule schedule, TimeProvider time, string tableName = StorageNames.ReconcileIndexTable)
    : IOrderWatch
{
    private const string DuePrefix = "watch-due-";
    private const string PointerPrefix = "watch-order-";
    private const int PointerPartitions = 8;

    private readonly TableHandle _table = new(service, tableName);

    public RecheckSchedule Schedule { get; } = schedule;

    /// <summary>Starts (or restarts) the watch of <paramref name="orderId"/> now: its first re-check is due after the schedule's first gap.</summary>
    public async Task EnterAsync(string orderId, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(orderId);
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var pointer = await ReadPointerAsync(table, orderId, ct).ConfigureAwait(false);
        var due = Schedule.Due(now, 0)!.Value;
        var entry = new OrderWatchEntry(orderId, now, 0, due);
        if (pointer?.Value.DuePartition is { } old && old != DuePartition(due))
        {
            await DeleteIfExistsAsync(table, old, orderId, ct).ConfigureAwait(false);
        }

        // The due row first: a crash before the pointer leaves a due row without one, which the next run takes as live.
        await table.UpsertEntityAsync(ToDueRow(entry), TableUpdateMode.Replace, ct).ConfigureAwait(false);
        await table.UpsertEntityAsync(ToPointer(orderId, new OrderWatchPointer(now, 0, DuePartition(due), null)), TableUpdateMode.Replace, ct).ConfigureAwait(false);
    }

    /// <summary>Due rows whose time has come, oldest minute first, at most <paramref name="max"/>.</summary>
    public async Task<IReadOnlyList<OrderWatchEntry>> ListDueAsync(DateTimeOffset now, int max, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
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

    /// <summary>The watch <paramref name="orderId"/> is in, with its ETag; null when it is not watched.</summary>
    public async Task<(OrderWatchPointer Value, ETag ETag)?> GetPointerAsync(string orderId, CancellationToken ct)
    {
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        return await ReadPointerAsync(table, orderId, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Claims the re-check of <paramref name="entry"/>: moves the pointer to the next step (with the ETag read, or as
    /// an add when there was none) and adds the next step's due row. Returns the pointer's new ETag, or null when
    /// another run moved the pointer first.
    /// </summary>
    public async Task<ETag?> TryClaimAsync(OrderWatchEntry entry, ETag? pointerETag, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var nextDue = Schedule.Due(entry.EnteredAt, entry.Step + 1);
        var pointer = ToPointer(entry.OrderId, new OrderWatchPointer(entry.EnteredAt, entry.Step + 1, nextDue is { } d ? DuePartition(d) : null, now));
        ETag claimed;
        try
        {
            var response = pointerETag is { } match
                ? await table.UpdateEntityAsync(pointer, match, TableUpdateMode.Replace, ct).ConfigureAwait(false)
                : await table.AddEntityAsync(pointer, ct).ConfigureAwait(false);
            claimed = response.Headers.ETag ?? ETag.All;
        }
        catch (RequestFailedException e) when (TableStatus.IsConcurrencyLoss(e))
        {
            return null;
        }

        if (nextDue is { } next)
        {
            try
            {
                await table.AddEntityAsync(ToDueRow(new OrderWatchEntry(entry.OrderId, entry.EnteredAt, entry.Step + 1, next)), ct).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (TableStatus.IsConflict(e))
            {
                // Added by an earlier attempt of this step that did not finish.
            }
        }

        return claimed;
    }

    /// <summary>Ends a claimed re-check: deletes its due row, and the pointer too when it was the last step of the window.</summary>
    public async Task CompleteAsync(OrderWatchEntry entry, ETag claimed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        await DeleteIfExistsAsync(table, DuePartition(entry.DueAt), entry.OrderId, ct).ConfigureAwait(false);
        if (Schedule.Due(entry.EnteredAt, entry.Step + 1) is null)
        {
            try
            {
                await table.DeleteEntityAsync(PointerPartition(entry.OrderId), entry.OrderId, claimed, ct).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status is TableStatus.PreconditionFailed or TableStatus.NotFound)
            {
                // The order entered the watch again meanwhile: that watch goes on.
            }
        }
    }

    /// <summary>Deletes a due row that an older watch or step left behind.</summary>
    public async Task DropAsync(OrderWatchEntry entry, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        await DeleteIfExistsAsync(table, DuePartition(entry.DueAt), entry.OrderId, ct).ConfigureAwait(false);
    }

    private static async Task<(OrderWatchPointer Value, ETag ETag)?> ReadPointerAsync(TableClient table, string orderId, CancellationToken ct)
    {
        var row = await table.GetEntityIfExistsAsync<TableEntity>(PointerPartition(orderId), orderId, cancellationToken: ct).ConfigureAwait(false);
        if (!row.HasValue)
        {
            return null;
        }

        var e = row.Value!;
        return (new OrderWatchPointer(e.GetDateTimeOffset("EnteredAt") ?? default, e.GetInt32("Step") ?? 0, e.GetString("DuePartition"), e.GetDateTimeOffset("ClaimedAt")), e.ETag);
    }

    private static async Task DeleteIfExistsAsync(TableClient table, string partition, string orderId, CancellationToken ct)
    {
        try
        {
            await table.DeleteEntityAsync(partition, orderId, ETag.All, ct).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == TableStatus.NotFound)
        {
        }
    }

    private static TableEntity ToDueRow(OrderWatchEntry entry) => new(DuePartition(entry.DueAt), entry.OrderId)
    {
        ["EnteredAt"] = entry.EnteredAt,
        ["Step"] = entry.Step,
        ["DueAt"] = entry.DueAt,
    };

    private static TableEntity ToPointer(string orderId, OrderWatchPointer pointer) => new(PointerPartition(orderId), orderId)
    {
        ["EnteredAt"] = pointer.EnteredAt,
        ["Step"] = pointer.Step,
        ["DuePartition"] = pointer.DuePartition,
        ["ClaimedAt"] = pointer.ClaimedAt,
    };

    private static string DuePartition(DateTimeOffset due) => DuePrefix + due.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);

    private static string PointerPartition(string orderId) => PointerPrefix + TableKeys.Bucket(orderId, PointerPartitions).ToString(CultureInfo.InvariantCulture);
}

/// <summary>One due re-check: step <see cref="Step"/> (0 = the first) of the watch <see cref="OrderId"/> entered at <see cref="EnteredAt"/>.</summary>
public sealed record OrderWatchEntry(string OrderId, DateTimeOffset EnteredAt, int Step, DateTimeOffset DueAt);

/// <summary>
/// The watch an order is in: entered at <see cref="EnteredAt"/>, next step <see cref="Step"/> due in
/// <see cref="DuePartition"/> (null: none left), claimed by a run at <see cref="ClaimedAt"/> (null: entered, not claimed).
/// </summary>
public sealed record OrderWatchPointer(DateTimeOffset EnteredAt, int Step, string? DuePartition, DateTimeOffset? ClaimedAt);
