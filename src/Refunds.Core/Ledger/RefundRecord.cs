using Refunds.Core.Pingpp;

namespace Refunds.Core.Ledger;

/// <summary>A Ping++ refund as the ledger knows it. Status only moves forward: pending → succeeded | failed.</summary>
public sealed record RefundRecord
{
    public required string RefundId { get; init; }

    /// <summary>Null for an external refund whose order is not known yet.</summary>
    public string? OrderId { get; init; }

    /// <summary>Our request that produced it; null for an external refund.</summary>
    public string? RequestId { get; init; }

    public string? ChargeId { get; init; }
    public long Amount { get; init; }
    public PingppRefundStatus Status { get; init; }
    public DateTimeOffset? TimeSucceed { get; init; }
    public string? TransactionNo { get; init; }
    public string? FailureCode { get; init; }
    public string? FailureMessage { get; init; }
    public string? Description { get; init; }

    /// <summary>Ping++'s own refund number (<c>order_no</c> on the refund object).</summary>
    public string? PingppOrderNo { get; init; }

    public string? ChargeOrderNo { get; init; }
    public string? FundingSource { get; init; }

    /// <summary>
    /// The channel's page the payer or merchant must visit to complete a pending refund (<c>extra.url</c>, e.g. Alipay's
    /// confirm-by-password refunds): the refund stays pending until it is confirmed there.
    /// </summary>
    public string? ChannelUrl { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>Made outside this app (e.g. in the Ping++ dashboard): no request of ours carries it.</summary>
    public bool External { get; init; }

    /// <summary>Ping++ reported contradicting final states (succeeded and failed); the first one is kept.</summary>
    public bool StatusConflict { get; init; }

    public DateTimeOffset FirstSeenAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}
