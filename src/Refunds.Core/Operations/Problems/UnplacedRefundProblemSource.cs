using Refunds.Core.Reconciliation;

namespace Refunds.Core.Operations.Problems;

/// <summary>
/// <c>unplaced_refund</c>: refunds Ping++ reported whose order we cannot name, from <see cref="UnplacedRefundStore"/>
/// (one range query of its listing rows per page, newest first by first seen; never a scan of the ledger). A refund the
/// reconciler placed through its charge leaves the listing and the list. Each item carries the refund object as received.
/// </summary>
public sealed class UnplacedRefundProblemSource(UnplacedRefundStore store) : ScannedProblemSource
{
    /// <summary>Bounds one read of the window; the store's pages are at most this many each.</summary>
    private const int MaxItems = 10_000;
    private const int PageSize = 1_000;

    public override string Kind => ProblemKinds.UnplacedRefund;

    protected override async Task<IReadOnlyList<Problem>> LoadAsync(ProblemWindow window, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(window);
        var items = new List<Problem>();
        string? continuation = null;
        do
        {
            var page = await store.ListAsync(window.Since, window.Until, PageSize, continuation, ct).ConfigureAwait(false);
            items.AddRange(page.Items.Where(r => r.PlacedOrderId is null).Select(ToProblem));
            continuation = page.Continuation;
        }
        while (continuation is not null && items.Count < MaxItems);

        return items;
    }

    public override async Task<Problem?> FindAsync(string id, CancellationToken ct)
        => Storage.TableKeys.IdProblem(id) is null && await store.GetAsync(id, ct).ConfigureAwait(false) is { PlacedOrderId: null } refund
            ? ToProblem(refund)
            : null;

    private static Problem ToProblem(UnplacedRefund refund) => new()
    {
        Kind = ProblemKinds.UnplacedRefund,
        Id = refund.RefundId,
        RefundId = refund.RefundId,
        Amount = refund.Amount,
        Summary = $"Refund {refund.RefundId} of charge {refund.ChargeId} ({refund.Amount} fen, {refund.Status}) belongs to an order we cannot place"
            + (refund.LookupOutcome is null ? "; not looked up yet" : $"; {refund.LookupAttempts} lookup(s), last: {refund.LookupOutcome}"),
        Since = refund.FirstSeenAt,
        State = refund.Status.ToString().ToLowerInvariant(),
        Actions = [ProblemKinds.Review],
        Details = new Dictionary<string, object?>
        {
            ["charge"] = refund.ChargeId,
            ["lookup_attempts"] = refund.LookupAttempts,
            ["last_lookup_at"] = refund.LastLookupAt,
            ["lookup_outcome"] = refund.LookupOutcome,
            ["raw"] = refund.RawJson,
        },
    };
}
