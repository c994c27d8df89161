using System.Globalization;
using Azure.Data.Tables;
using Refunds.Core.Storage;

namespace Refunds.Core.Operations;

/// <summary>
/// The amount let through without approval per UTC day: one row per day (partition <c>approval|daily</c> of the ledger
/// table, row <c>yyyy-MM-dd</c>), read and written with its ETag. A request is charged before it is recorded, so a
/// crash in between counts an amount that was never sent (safe: it only holds later requests sooner); nothing sent
/// without approval is ever left uncounted. Within one instance charges take turns (a burst of new requests would
/// otherwise spend its time losing ETag races on the one row); across instances the ETag decides.
/// </summary>
public sealed class DailyApprovalCounter(TableServiceClient service, string tableName)
{
    public const string Partition = "approval|daily";

    private readonly TableHandle _table = new(service, tableName);
    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>
    /// Adds <paramref name="amount"/> to <paramref name="day"/>'s total when the total stays within
    /// <paramref name="limit"/>; otherwise changes nothing. Returns whether it was charged and the total it found.
    /// </summary>
    public async Task<(bool Charged, long TotalBefore)> TryChargeAsync(DateOnly day, long amount, long limit, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var row = RowKey(day);
        await _turn.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await ChargeAsync(table, row, amount, limit, ct).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    private static Task<(bool Charged, long TotalBefore)> ChargeAsync(TableClient table, string row, long amount, long limit, CancellationToken ct)
        => OptimisticRetry.RunAsync<(bool, long)>($"charge the daily approval total of {row}", async _ =>
        {
            var read = await table.GetEntityIfExistsAsync<TableEntity>(Partition, row, cancellationToken: ct).ConfigureAwait(false);
            var total = read.HasValue ? read.Value!.GetInt64("Amount") ?? 0 : 0;
            if (total + amount > limit)
            {
                return (false, total);
            }

            var next = new TableEntity(Partition, row) { ["Kind"] = "daily_total", ["Amount"] = total + amount };
            return await ConditionalWrite.AddOrReplaceAsync(table, next, read.HasValue ? read.Value!.ETag : null, ct).ConfigureAwait(false)
                ? (true, total)
                : OptimisticRetry.Again;
        }, ct);

    /// <summary>The total let through without approval on <paramref name="day"/>.</summary>
    public async Task<long> ReadAsync(DateOnly day, CancellationToken ct)
    {
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var read = await table.GetEntityIfExistsAsync<TableEntity>(Partition, RowKey(day), cancellationToken: ct).ConfigureAwait(false);
        return read.HasValue ? read.Value!.GetInt64("Amount") ?? 0 : 0;
    }

    private static string RowKey(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
