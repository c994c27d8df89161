namespace Refunds.Core.Pingpp;

/// <summary>A Ping++ <c>order</c> object, with the fields reconciliation and the abnormal-payment check need.</summary>
public sealed record PingppOrder
{
    public required string Id { get; init; }
    public string Object { get; init; } = "order";
    public long Created { get; init; }
    public bool Livemode { get; init; }
    /// <summary><c>created</c> | <c>paid</c> | <c>refunded</c> | <c>canceled</c>.</summary>
    public string? Status { get; init; }
    public bool Paid { get; init; }
    public bool Refunded { get; init; }
    /// <summary>The Ping++ app id: Ping++ sends a string, or the app object when expanded (its <c>id</c> is read).</summary>
    [System.Text.Json.Serialization.JsonConverter(typeof(PingppAppIdConverter))]
    public string? App { get; init; }
    public string? MerchantOrderNo { get; init; }
    public long Amount { get; init; }
    public long ActualAmount { get; init; }
    public long AmountPaid { get; init; }
    public long AmountRefunded { get; init; }
    public long CouponAmount { get; init; }
    public string? Currency { get; init; }
    public long? TimePaid { get; init; }
    public PingppList<PingppCharge>? Charges { get; init; }
}

/// <summary>A Ping++ <c>charge</c> object (the fields this app uses).</summary>
public sealed record PingppCharge
{
    public required string Id { get; init; }
    public string Object { get; init; } = "charge";
    public long Created { get; init; }
    public bool Paid { get; init; }
    public bool Refunded { get; init; }
    public string? Channel { get; init; }

    /// <summary>The Ping++ app id (a string, or the expanded app object's <c>id</c>).</summary>
    [System.Text.Json.Serialization.JsonConverter(typeof(PingppAppIdConverter))]
    public string? App { get; init; }

    public string? OrderNo { get; init; }
    public long Amount { get; init; }
    public long AmountRefunded { get; init; }
    public long? TimePaid { get; init; }
    public string? TransactionNo { get; init; }
}
