using Azure;
using Azure.Data.Tables;
using Refunds.Core.Configuration;
using Refunds.Core.Storage;

namespace Refunds.Core.Reconciliation;

/// <summary>
/// Reconciliation's own small state, kept in the open-work index table beside (not inside) the ledger's
/// <c>open-*</c> partitions: the cursor where the next run continues, and when each request id was last handed to the
/// refund queue. Both are ETag-guarded so two overlapping runs cannot both hand back the same request.
/// </summary>
public sealed class ReconcileStateStore(TableServiceClient service, string tableName = StorageNames.ReconcileIndexTable)
{
    private const string StatePartition = "reconcile-state";
    private const string CursorRow = "cursor";
    private const string EnqueuedPartition = "reconcile-enqueued";

    private readonly TableHandle _table = new(service, tableName);

    /// <summary>Where the previous run stopped in the open-work index; null = from the start.</summary>
    public async Task<string?> GetCursorAsync(CancellationToken cancellationToken)
    {
        var table = await _table.GetAsync(cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(StatePartition, CursorRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? row.Value!.GetString("Continuation") is { Length: > 0 } c ? c : null : null;
    }

    /// <summary>Last writer wins: overlapping runs that disagree only make the next run start a little earlier or later.</summary>
    public async Task SaveCursorAsync(string? continuation, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var table = await _table.GetAsync(cancellationToken).ConfigureAwait(false);
        var entity = new TableEntity(StatePartition, CursorRow) { ["Continuation"] = continuation ?? "", ["SavedAt"] = now };
        await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Claims the right to enqueue <paramref name="requestId"/> now: true when it was never enqueued by
    /// reconciliation, or last enqueued at least <paramref name="minimumGap"/> ago, and no concurrent caller claimed it
    /// first. The claim is recorded before the message is sent, so a crash in between delays the next hand-back by
    /// one gap instead of risking two messages per run.
    /// </summary>
    public async Task<bool> TryClaimEnqueueAsync(string requestId, DateTimeOffset now, TimeSpan minimumGap, CancellationToken cancellationToken)
    {
        var table = await _table.GetAsync(cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(EnqueuedPartition, requestId, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            if (!row.HasValue)
            {
                await table.AddEntityAsync(new TableEntity(EnqueuedPartition, requestId) { ["LastEnqueuedAt"] = now, ["Count"] = 1 }, cancellationToken).ConfigureAwait(false);
                return true;
            }

            var last = row.Value!.GetDateTimeOffset("LastEnqueuedAt");
            if (last is { } at && now - at < minimumGap)
            {
                return false;
            }

            var next = new TableEntity(EnqueuedPartition, requestId)
            {
                ["LastEnqueuedAt"] = now,
                ["Count"] = (row.Value.GetInt32("Count") ?? 0) + 1,
            };
            await table.UpdateEntityAsync(next, row.Value.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (TableStatus.IsConcurrencyLoss(e))
        {
            return false;
        }
    }

    /// <summary>How often reconciliation handed <paramref name="requestId"/> to the queue (0 = never).</summary>
    public async Task<int> EnqueueCountAsync(string requestId, CancellationToken cancellationToken)
    {
        var table = await _table.GetAsync(cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(EnqueuedPartition, requestId, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? row.Value!.GetInt32("Count") ?? 0 : 0;
    }
}
