using Refunds.Core.Ledger;

namespace Refunds.Core.Refunds;

/// <summary>A <see cref="RefundRequest"/> as the ledger keeps it, and back (for re-enqueueing a stored request).</summary>
public static class RefundRequestLedgerMapping
{
    public static RefundRequestRecord ToLedgerRecord(this RefundRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new RefundRequestRecord
        {
            RequestId = request.RequestId,
            OrderId = request.OrderId,
            Description = request.Description,
            Charge = request.Charge,
            ChargeAmount = request.ChargeAmount,
            RefundMode = request.RefundMode is { } mode ? RefundRequestRules.ToWire(mode) : null,
            FundingSource = request.FundingSource is { } source ? RefundRequestRules.ToWire(source) : null,
            RoyaltyUsers = request.RoyaltyUsers,
            Metadata = request.Metadata.Count == 0 ? null : request.Metadata,
            Fingerprint = request.Fingerprint,
        };
    }

    /// <summary>The request a valid ledger record holds; null for a record that never held one (a rejection).</summary>
    public static RefundRequest? ToRefundRequest(this RefundRequestRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Fingerprint is null || record.OrderId is null || record.Description is null)
        {
            return null;
        }

        return new RefundRequest
        {
            RequestId = record.RequestId,
            OrderId = record.OrderId,
            Description = record.Description,
            Charge = record.Charge,
            ChargeAmount = record.ChargeAmount,
            RefundMode = record.RefundMode is { } mode ? RefundRequestRules.RefundModeFromWire(mode) : null,
            FundingSource = record.FundingSource is { } source ? RefundRequestRules.FundingSourceFromWire(source) : null,
            RoyaltyUsers = record.RoyaltyUsers is { Count: > 0 } users ? users : null,
            Metadata = record.Metadata is { } metadata ? new Dictionary<string, string>(metadata, StringComparer.Ordinal) : new Dictionary<string, string>(StringComparer.Ordinal),
        };
    }
}
