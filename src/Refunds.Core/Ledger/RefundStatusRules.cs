using Refunds.Core.Pingpp;

namespace Refunds.Core.Ledger;

/// <summary>
/// How a Ping++ refund report merges into what the ledger knows. Monotonic, so duplicates, replays and out-of-order
/// reports converge: status never moves back (succeeded stays succeeded, failed stays failed), empty fields fill in,
/// known fields are not overwritten.
/// </summary>
public static class RefundStatusRules
{
    public static bool IsFinal(PingppRefundStatus status) => status is PingppRefundStatus.Succeeded or PingppRefundStatus.Failed;

    /// <summary>The status after <paramref name="incoming"/> is reported for a refund that is <paramref name="current"/>.</summary>
    public static PingppRefundStatus Next(PingppRefundStatus current, PingppRefundStatus incoming, out bool conflict)
    {
        conflict = IsFinal(current) && IsFinal(incoming) && current != incoming;
        return IsFinal(current) ? current : incoming;
    }

    /// <summary>Merges a report into the known record (null when first seen). Timestamps are left to the caller.</summary>
    public static RefundRecord Merge(RefundRecord? known, PingppRefund report, string? orderId, string? requestId, bool external)
    {
        var statusConflict = false;
        var status = known is null ? report.Status : Next(known.Status, report.Status, out statusConflict);
        var tookReport = known is null || status == report.Status;
        return new RefundRecord
        {
            RefundId = report.Id,
            OrderId = known?.OrderId ?? orderId,
            RequestId = known?.RequestId ?? requestId ?? report.RequestId,
            ChargeId = known?.ChargeId ?? Blank(report.Charge),
            Amount = known is { Amount: > 0 } ? known.Amount : report.Amount,
            Status = status,
            TimeSucceed = known?.TimeSucceed ?? (tookReport && report.TimeSucceed is { } t ? DateTimeOffset.FromUnixTimeSeconds(t) : null),
            TransactionNo = known?.TransactionNo ?? (tookReport ? Blank(report.TransactionNo) : null),
            FailureCode = known?.FailureCode ?? (tookReport ? Blank(report.FailureCode) : null),
            FailureMessage = known?.FailureMessage ?? (tookReport ? Blank(report.FailureMsg) : null),
            Description = known?.Description ?? Blank(report.Description),
            PingppOrderNo = known?.PingppOrderNo ?? Blank(report.OrderNo),
            ChargeOrderNo = known?.ChargeOrderNo ?? Blank(report.ChargeOrderNo),
            FundingSource = known?.FundingSource ?? Blank(report.FundingSource),
            // The latest page a pending refund names; kept once the refund is final (it says how it was confirmed).
            ChannelUrl = (tookReport ? Blank(report.ChannelUrl) : null) ?? known?.ChannelUrl,
            CreatedAt = known?.CreatedAt ?? (report.Created > 0 ? DateTimeOffset.FromUnixTimeSeconds(report.Created) : null),
            // A refund first recorded as external becomes ours once a report links it to one of our requests.
            External = (known?.External ?? external) && (known?.RequestId ?? requestId ?? report.RequestId) is null,
            StatusConflict = (known?.StatusConflict ?? false) || statusConflict,
            FirstSeenAt = known?.FirstSeenAt ?? default,
            UpdatedAt = known?.UpdatedAt ?? default,
        };
    }

    private static string? Blank(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
