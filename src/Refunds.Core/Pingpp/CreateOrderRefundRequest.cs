namespace Refunds.Core.Pingpp;

/// <summary>Body of <c>POST /v1/orders/{id}/order_refunds</c> (every parameter the SDKs know).</summary>
public sealed record CreateOrderRefundRequest
{
    /// <summary>Required refund note; at most 255 characters (some channels allow fewer bytes).</summary>
    public required string Description { get; init; }

    /// <summary>The charge of the order to refund; when omitted Ping++ refunds every charge of the order.</summary>
    public string? Charge { get; init; }

    /// <summary>Fen to refund from <see cref="Charge"/>; omitted = the remaining refundable amount. Needs <see cref="Charge"/>.</summary>
    public long? ChargeAmount { get; init; }

    public OrderRefundMode? RefundMode { get; init; }

    /// <summary>WeChat channels only.</summary>
    public RefundFundingSource? FundingSource { get; init; }

    /// <summary>Royalty (分润) claw-backs; leave null unless royalties are used.</summary>
    public IReadOnlyList<RoyaltyUserRefund>? RoyaltyUsers { get; init; }

    /// <summary>Echoed on the refund object; this app puts <see cref="PingppMetadata.RequestId"/> here.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Description))
        {
            throw new ArgumentException("description is required.", nameof(Description));
        }

        if (Description.Length > 255)
        {
            throw new ArgumentException("description is longer than 255 characters.", nameof(Description));
        }

        if (ChargeAmount is { } amount)
        {
            if (amount <= 0)
            {
                throw new ArgumentException("charge_amount must be a positive number of fen.", nameof(ChargeAmount));
            }

            if (string.IsNullOrEmpty(Charge))
            {
                throw new ArgumentException("charge_amount can only be used together with charge.", nameof(ChargeAmount));
            }
        }

        if (RoyaltyUsers is not null && RoyaltyUsers.Any(u => string.IsNullOrEmpty(u.User) || u.AmountRefunded < 0))
        {
            throw new ArgumentException("every royalty user needs a user id and a non-negative amount_refunded.", nameof(RoyaltyUsers));
        }
    }
}

/// <summary><c>to_source</c>: back along the original payment path (Ping++'s default); <c>to_balance</c>: to the user's balance.</summary>
public enum OrderRefundMode
{
    ToSource,
    ToBalance,
}

/// <summary>Which WeChat funds pay the refund.</summary>
public enum RefundFundingSource
{
    UnsettledFunds,
    RechargeFunds,
}

/// <summary>One royalty user's claw-back in fen (<c>{"user":…,"amount_refunded":…}</c>).</summary>
public sealed record RoyaltyUserRefund(string User, long AmountRefunded);
