using Refunds.Core.Ledger;

namespace Refunds.Core.Operations.Problems;

/// <summary>
/// <c>unplaced_refund</c> until issue 17's store of refunds we cannot place is merged: refunds Ping++ reported whose
/// order the ledger does not know (the ledger's orphan rows), read from the open-work index, which lists every one of
/// them (O(open work)). The lead swaps this adapter for one over that store (register another source of the kind).
/// </summary>
public sealed class OrphanRefundProblemSource(IOpenWorkIndex openWork, IRefundMerge refunds) : ScannedProblemSource
{
    private const int MaxOpenWork = 10_000;

    public override string Kind => ProblemKinds.UnplacedRefund;

    protected override async Task<IReadOnlyList<Problem>> LoadAsync(ProblemWindow window, CancellationToken ct)
    {
        var items = new List<Problem>();
        string? continuation = null;
        var seen = 0;
        do
        {
            var page = await openWork.ListOpenWorkAsync(500, continuation, ct).ConfigureAwait(false);
            seen += page.Items.Count;
            foreach (var item in page.Items.Where(i => i.RefundId is not null))
            {
                if (await FindAsync(item.RefundId!, ct).ConfigureAwait(false) is { } problem)
                {
                    items.Add(problem);
                }
            }

            continuation = page.Continuation;
        }
        while (continuation is not null && seen < MaxOpenWork);

        return items;
    }

    public override async Task<Problem?> FindAsync(string id, CancellationToken ct)
    {
        if (Storage.TableKeys.IdProblem(id) is not null || await refunds.GetRefundAsync(id, ct).ConfigureAwait(false) is not { OrderId: null } refund)
        {
            return null;
        }

        return new Problem
        {
            Kind = ProblemKinds.UnplacedRefund,
            Id = refund.RefundId,
            RefundId = refund.RefundId,
            Amount = refund.Amount,
            Summary = $"Refund {refund.RefundId} of charge {refund.ChargeId} ({refund.Amount} fen, {refund.Status}) belongs to an order the ledger does not know",
            Since = refund.FirstSeenAt,
            State = refund.Status.ToString().ToLowerInvariant(),
            Actions = [ProblemKinds.Review],
            Details = new Dictionary<string, object?> { ["charge"] = refund.ChargeId, ["description"] = refund.Description },
        };
    }
}
