using Azure;
using Azure.Data.Tables;
using Refunds.Core.Pingpp;
using Refunds.Core.Storage;
using static Refunds.Core.Ledger.LedgerEntities;
using static Refunds.Core.Ledger.LedgerPartitionReader;

namespace Refunds.Core.Ledger;

/// <summary>Order reads and the order row: amounts from <c>order.refunded</c> and the reconciliation mark.</summary>
public sealed partial class RefundLedger
{
    public async Task<OrderLedger> ListOrderAsync(string orderId, CancellationToken ct)
    {
        TableKeys.RequireValidId(orderId, nameof(orderId));
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        return ToOrderLedger(orderId, await ReadLedgerRowsAsync(table, orderId, ct).ConfigureAwait(false));
    }

    public async Task<IReadOnlyList<RefundRequestRecord>> ListRequestsInStateAsync(RefundRequestState state, int maxItems, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItems, 1);
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"Kind eq {"request"} and State eq {state.ToString()}");
        var found = new List<RefundRequestRecord>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
        {
            found.Add(ToRequest(row));
            if (found.Count >= maxItems)
            {
                break;
            }
        }

        return found;
    }

    public async Task MarkOrderForReconciliationAsync(string orderId, string reason, CancellationToken ct)
    {
        TableKeys.RequireValidId(orderId, nameof(orderId));
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        await _openWork.UpsertAsync(orderId, [reason], ct).ConfigureAwait(false);
        await UpdateOrderRowAsync(table, orderId, orderId, MarkChange(reason), ct).ConfigureAwait(false);
        Log.OrderMarked(_logger, orderId, reason);
        await RefreshOpenWorkAsync(orderId, ct).ConfigureAwait(false);
    }

    public async Task RecordOrderRefundedAsync(PingppOrder order, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(order);
        var orderId = TableKeys.RequireValidId(order.Id, nameof(order));
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        const string reason = "order.refunded";
        await _openWork.UpsertAsync(orderId, [reason], ct).ConfigureAwait(false);
        var mark = MarkChange(reason);
        await UpdateOrderRowAsync(table, orderId, orderId, known =>
        {
            var marked = mark(known)!;
            return marked with
            {
                PingppStatus = order.Status ?? marked.PingppStatus,
                Paid = order.Paid,
                Refunded = order.Refunded,
                ActualAmount = order.ActualAmount,
                // Events can arrive out of order; amounts Ping++ reports only grow.
                AmountPaid = Math.Max(order.AmountPaid, known?.AmountPaid ?? 0),
                AmountRefunded = Math.Max(order.AmountRefunded, known?.AmountRefunded ?? 0),
            };
        }, ct).ConfigureAwait(false);
        Log.OrderMarked(_logger, orderId, reason);
        await RefreshOpenWorkAsync(orderId, ct).ConfigureAwait(false);
    }

    public async Task<bool> ClearReconciliationMarkAsync(string ledgerKey, DateTimeOffset markedAtOrBefore, CancellationToken ct)
    {
        var table = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var cleared = false;
        await UpdateOrderRowAsync(table, ledgerKey, ledgerKey, known =>
        {
            if (known is not { NeedsReconciliation: true } || known.MarkedAt > markedAtOrBefore)
            {
                return null;
            }

            cleared = true;
            return known with { NeedsReconciliation = false, ReconciliationReasons = [] };
        }, ct).ConfigureAwait(false);
        await RefreshOpenWorkAsync(ledgerKey, ct).ConfigureAwait(false);
        return cleared;
    }

    private Func<OrderRecord?, OrderRecord?> MarkChange(string reason) => known =>
    {
        var reasons = (known?.ReconciliationReasons ?? []).Append(reason).Distinct().TakeLast(OpenWorkIndexTable.MaxReasons).ToList();
        return (known ?? new OrderRecord { OrderId = "" }) with
        {
            NeedsReconciliation = true,
            ReconciliationReasons = reasons,
            MarkedAt = Now,
        };
    };

    /// <summary>Read-modify-write of a partition's order row; <paramref name="change"/> returning null means "no change".</summary>
    private async Task UpdateOrderRowAsync(TableClient table, string partition, string orderId, Func<OrderRecord?, OrderRecord?> change, CancellationToken ct)
    {
        await OptimisticRetry.RunAsync<bool>($"update order row of {partition}", async _ =>
        {
            var row = await table.GetEntityIfExistsAsync<TableEntity>(partition, OrderRow, cancellationToken: ct).ConfigureAwait(false);
            var known = row.HasValue ? ToOrder(row.Value!) : null;
            var next = change(known);
            if (next is null)
            {
                return false;
            }

            var entity = FromOrder(partition, next with { OrderId = orderId, UpdatedAt = Now });
            // Lost to another writer: merge into what it wrote.
            return await ConditionalWrite.AddOrReplaceAsync(table, entity, row.HasValue ? row.Value!.ETag : null, ct).ConfigureAwait(false)
                ? true
                : OptimisticRetry.Again;
        }, ct).ConfigureAwait(false);
    }
}
