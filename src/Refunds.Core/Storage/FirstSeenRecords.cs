using Azure;
using Azure.Data.Tables;

namespace Refunds.Core.Storage;

/// <summary>
/// Rows that record an observation once and keep it fresh: the first write sets <c>FirstSeenAt</c>, later ones merge
/// everything else (and never touch <c>FirstSeenAt</c> or the given kept properties). Idempotent under replays and
/// overlapping writers.
/// </summary>
internal static class FirstSeenRecords
{
    /// <summary>Returns true when the row is new.</summary>
    public static async Task<bool> RecordAsync(
        TableClient table, TableEntity entity, DateTimeOffset now, IReadOnlyCollection<string> keptOnUpdate, CancellationToken cancellationToken)
    {
        try
        {
            entity["FirstSeenAt"] = now;
            await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (TableStatus.IsConflict(e))
        {
            entity.Remove("FirstSeenAt");
            foreach (var name in keptOnUpdate)
            {
                entity.Remove(name);
            }

            await table.UpdateEntityAsync(entity, ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            return false;
        }
    }
}
