namespace Refunds.Core.Ledger;

/// <summary>
/// Where an order goes when its last open work ends: the ledger calls <see cref="EnterAsync"/> just before it drops the
/// order from the open-work index, so reconciliation keeps re-checking it for a while (see
/// <c>Refunds.Core.Reconciliation.OrderWatchIndex</c>). Entering again restarts the watch from now. The ledger passes
/// the order's refunds as it just read them: the watch keeps them to tell, at each re-check, whether anything changed.
/// </summary>
public interface IOrderWatch
{
    Task EnterAsync(string orderId, IReadOnlyCollection<RefundRecord> refunds, CancellationToken ct);
}
