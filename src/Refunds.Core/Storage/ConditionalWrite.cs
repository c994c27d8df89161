using Azure;
using Azure.Data.Tables;

namespace Refunds.Core.Storage;

/// <summary>The write half of a read-modify-write: only if the row is still as it was read.</summary>
internal static class ConditionalWrite
{
    /// <summary>
    /// Replaces the row under the ETag it was read with, or adds it when it did not exist (<paramref name="readETag"/>
    /// null). False when another writer got there first (412, or 409 for a row added meanwhile): read again.
    /// </summary>
    public static async Task<bool> AddOrReplaceAsync(TableClient table, ITableEntity entity, ETag? readETag, CancellationToken ct)
    {
        try
        {
            if (readETag is { } etag)
            {
                await table.UpdateEntityAsync(entity, etag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
            }
            else
            {
                await table.AddEntityAsync(entity, ct).ConfigureAwait(false);
            }

            return true;
        }
        catch (RequestFailedException e) when (TableStatus.IsConcurrencyLoss(e))
        {
            return false;
        }
    }
}
