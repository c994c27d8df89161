using Azure;
using Azure.Data.Tables;

namespace Refunds.Core.Storage;

/// <summary>
/// A table that is created on first use, once per store instance. A failed creation is not remembered, so a store that
/// started while storage was down recovers on the next call instead of failing forever.
/// </summary>
internal sealed class TableHandle(TableServiceClient service, string tableName)
{
    private readonly TableClient _client = service.GetTableClient(tableName);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _created;

    public string Name => tableName;

    public async ValueTask<TableClient> GetAsync(CancellationToken cancellationToken)
    {
        if (_created)
        {
            return _client;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_created)
            {
                await _client.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
                _created = true;
            }
        }
        finally
        {
            _gate.Release();
        }

        return _client;
    }
}

/// <summary>Status codes of Table Storage that the stores branch on.</summary>
internal static class TableStatus
{
    public const int NotFound = 404;
    public const int Conflict = 409;
    public const int PreconditionFailed = 412;

    public static bool IsConflict(RequestFailedException e) => e.Status == Conflict;

    public static bool IsPreconditionFailed(RequestFailedException e) => e.Status == PreconditionFailed;

    public static bool IsConcurrencyLoss(RequestFailedException e) => e.Status is Conflict or PreconditionFailed;
}
