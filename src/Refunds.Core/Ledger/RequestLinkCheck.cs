using Refunds.Core.Pingpp;

namespace Refunds.Core.Ledger;

/// <summary>
/// Whether a refund the ledger has never seen may be linked to the request its <c>metadata.refund_request_id</c>
/// names. The marker is only a claim: it comes from whoever created the refund (another system, the Ping++
/// dashboard, a copied metadata map). A refund of another order, of another charge, or one that names a request we
/// never sent is not ours: linking it would settle a request whose money never moved. Such a refund is recorded as
/// external, and the request is left to its own evidence.
/// </summary>
public static class RequestLinkCheck
{
    /// <summary>Null when the refund may be linked to <paramref name="request"/>; otherwise why not, for the order's marks.</summary>
    /// <param name="refund">The refund as Ping++ reports it.</param>
    /// <param name="request">The request the refund's marker names, or null when its row is missing.</param>
    /// <param name="requestOrderId">The order partition the request lives in.</param>
    /// <param name="refundOrderId">The refund's order when the reporter knows it (a listing of that order), else null.</param>
    public static string? WhyNotLinked(PingppRefund refund, RefundRequestRecord? request, string requestOrderId, string? refundOrderId)
    {
        ArgumentNullException.ThrowIfNull(refund);
        var claim = $"refund {refund.Id} names request {request?.RequestId ?? refund.RequestId} of order {requestOrderId}";
        if (refundOrderId is not null && !string.Equals(refundOrderId, requestOrderId, StringComparison.Ordinal))
        {
            return $"{claim}, but Ping++ lists it under order {refundOrderId}";
        }

        if (request is null)
        {
            return $"{claim}, but the request's record is missing";
        }

        // Every create of ours is claimed and written ahead (LastSendStartedAt) before it leaves: a request never
        // claimed has no refund at Ping++.
        if (request.LastSendStartedAt is null && request.Attempt == 0)
        {
            return $"{claim}, but that request was never sent to Ping++ (state {request.State})";
        }

        if (request.Charge is { Length: > 0 } charge && refund.Charge is { Length: > 0 } refundCharge
            && !string.Equals(charge, refundCharge, StringComparison.Ordinal))
        {
            return $"{claim}, but it refunds charge {refundCharge} and the request asked for charge {charge}";
        }

        return null;
    }
}
