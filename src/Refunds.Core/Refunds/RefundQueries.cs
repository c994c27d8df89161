using Refunds.Core.Ledger;

namespace Refunds.Core.Refunds;

/// <summary>The answer to a look-up: the view to show, or why there is none (the API answers 404 with the reason).</summary>
public sealed record RefundLookup(object? View, string? NotFoundReason)
{
    public static RefundLookup Found(object view) => new(view, null);

    public static RefundLookup NotFound(string reason) => new(null, reason);
}

/// <summary>
/// The refund API's read side: an order's refunds and refund requests as the ledger records them. Reads only the
/// ledger (Ping++'s live view is an operator action: <see cref="PingppLiveView"/>). An id that cannot be one of ours
/// is not found, whatever it holds: the one id rule decides (<see cref="RefundRequestRules.RequestIdProblem"/>).
/// </summary>
public sealed class RefundQueries(IRefundLedger ledger)
{
    /// <summary>Whether <paramref name="orderId"/> and <paramref name="id"/> (a <c>re_</c> refund id or a request id) can name anything here.</summary>
    public static bool IsLookupId(string orderId, string? id = null)
        => RefundRequestRules.IsPingppOrderId(orderId) && (id is null || RefundRequestRules.RequestIdProblem(id) is null);

    /// <summary>Whether <paramref name="id"/> is a Ping++ refund id rather than one of our request ids.</summary>
    public static bool IsRefundId(string id) => id.StartsWith("re_", StringComparison.Ordinal);

    /// <summary>Every request and refund of the order.</summary>
    public async Task<RefundLookup> ListOrderAsync(string orderId, CancellationToken cancellationToken)
    {
        if (!IsLookupId(orderId))
        {
            return RefundLookup.NotFound("Unknown order id.");
        }

        var order = await ledger.ListOrderAsync(orderId, cancellationToken).ConfigureAwait(false);
        return order.Requests.Count == 0 && order.Refunds.Count == 0
            ? RefundLookup.NotFound("The ledger has no refund or refund request for this order.")
            : RefundLookup.Found(OrderRefundsView.From(order));
    }

    /// <summary>One refund (by its <c>re_</c> id) or one refund request (by its request id, with its refunds) of the order.</summary>
    public async Task<RefundLookup> GetAsync(string orderId, string id, CancellationToken cancellationToken)
    {
        if (!IsLookupId(orderId, id))
        {
            return RefundLookup.NotFound("Unknown order or refund id.");
        }

        if (IsRefundId(id))
        {
            var refund = await ledger.GetRefundAsync(id, cancellationToken).ConfigureAwait(false);
            return refund is not null && refund.OrderId == orderId
                ? RefundLookup.Found(RefundView.From(refund))
                : RefundLookup.NotFound("Unknown refund id for this order.");
        }

        var record = await ledger.GetRequestAsync(id, cancellationToken).ConfigureAwait(false);
        if (record is null || record.OrderId != orderId)
        {
            return RefundLookup.NotFound("Unknown refund request id for this order.");
        }

        var refunds = record.RefundIds.Count == 0 ? [] : (await ledger.ListOrderAsync(orderId, cancellationToken).ConfigureAwait(false)).Refunds;
        return RefundLookup.Found(RefundRequestView.From(record, refunds));
    }
}
