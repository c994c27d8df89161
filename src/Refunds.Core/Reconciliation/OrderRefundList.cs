using Refunds.Core.Pingpp;

namespace Refunds.Core.Reconciliation;

/// <summary>Every refund Ping++ lists for an order, page by page, for reconciliation's checks.</summary>
internal static class OrderRefundList
{
    private const int MaxPages = 100;

    /// <summary>Ids are kept once when the list shifts while paging; <paramref name="onCall"/> runs before each Ping++ call (to count them).</summary>
    public static async Task<IReadOnlyList<PingppRefund>> ListAllAsync(PingppClient client, string orderId, Action onCall, CancellationToken cancellationToken)
    {
        var all = new List<PingppRefund>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var page = 1; page <= MaxPages; page++)
        {
            onCall();
            var list = await client.ListOrderRefundsAsync(orderId, page, 20, cancellationToken).ConfigureAwait(false);
            all.AddRange(list.Data.Where(r => ids.Add(r.Id)));
            if (!list.HasMore || list.Data.Count == 0)
            {
                return all;
            }
        }

        throw new PingppException(PingppErrorKind.OutcomeUnknown, $"Order {orderId} has more than {MaxPages} pages of refunds; not reconciled.");
    }
}
