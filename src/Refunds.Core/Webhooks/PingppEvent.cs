using Refunds.Core.Pingpp;

namespace Refunds.Core.Webhooks;

/// <summary>
/// A Ping++ <c>event</c>, parsed from verified bytes. <c>data.object</c> is typed by its <c>object</c> field: exactly one
/// of <see cref="Refund"/>, <see cref="Order"/>, <see cref="Charge"/> is set for those kinds, none for any other kind.
/// </summary>
public sealed record PingppEvent
{
    /// <summary>Types this app acts on. Others are stored and acknowledged.</summary>
    public static class Types
    {
        public const string RefundSucceeded = "refund.succeeded";

        /// <summary>The name the order-refunds guide's own webhook samples use for a refund that succeeded.</summary>
        public const string OrderRefundSucceeded = "order.refund.succeeded";

        public const string RefundFailed = "refund.failed";
        public const string OrderRefunded = "order.refunded";
        public const string OrderSucceeded = "order.succeeded";
        public const string ChargeSucceeded = "charge.succeeded";
    }

    public required string Id { get; init; }
    public required string Type { get; init; }
    public bool Livemode { get; init; }
    public long Created { get; init; }

    /// <summary>The API request that caused the event (<c>iar_…</c>), when Ping++ says.</summary>
    public string? Request { get; init; }

    public int PendingWebhooks { get; init; }

    /// <summary>The <c>object</c> field of <c>data.object</c>: <c>refund</c>, <c>order</c>, <c>charge</c>, <c>account_daily_summary</c>, …</summary>
    public required string ObjectType { get; init; }

    /// <summary>The <c>id</c> of <c>data.object</c>, when it has one.</summary>
    public string? ObjectId { get; init; }

    public PingppRefund? Refund { get; init; }

    /// <summary>The refund's <c>data.object</c> as received (its exact text), kept when the refund's order cannot be placed.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? RefundJson { get; init; }
    public PingppOrder? Order { get; init; }
    public PingppCharge? Charge { get; init; }

    public DateTimeOffset CreatedAt => DateTimeOffset.FromUnixTimeSeconds(Created);

    /// <summary>The refund the event concerns.</summary>
    public string? RefundId => Refund?.Id;

    /// <summary>The charge the event concerns (a charge event, or the charge a refund belongs to).</summary>
    public string? ChargeId => Charge?.Id ?? Refund?.Charge;

    /// <summary>The Ping++ order the event concerns. Refund and charge objects do not carry it.</summary>
    public string? OrderId => Order?.Id;

    /// <summary>Our refund request id, from the refund's metadata.</summary>
    public string? RequestId => Refund?.RequestId;
}
