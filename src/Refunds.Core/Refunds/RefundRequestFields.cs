namespace Refunds.Core.Refunds;

/// <summary>The JSON names of a refund request message (snake_case, like Ping++'s own create parameters).</summary>
public static class RefundRequestFields
{
    public const string RequestId = "request_id";
    public const string OrderId = "order_id";
    public const string Description = "description";
    public const string Charge = "charge";
    public const string ChargeAmount = "charge_amount";
    public const string RefundMode = "refund_mode";
    public const string FundingSource = "funding_source";
    public const string RoyaltyUsers = "royalty_users";
    public const string RoyaltyUser = "user";
    public const string RoyaltyAmountRefunded = "amount_refunded";
    public const string Metadata = "metadata";

    /// <summary>
    /// W3C trace context of whoever enqueued the message (<see cref="Diagnostics.MessageTraceContext"/>): accepted in
    /// queue messages only, never part of the request or its fingerprint; a bad value is ignored, not rejected.
    /// </summary>
    public const string TraceParent = "traceparent";

    /// <inheritdoc cref="TraceParent"/>
    public const string TraceState = "tracestate";

    /// <summary>Reasons about the message as a whole (size, encoding, not JSON).</summary>
    public const string Message = "message";

    /// <summary>The HTTP header that carries a request id.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    internal static readonly IReadOnlySet<string> TopLevel = new HashSet<string>(StringComparer.Ordinal)
    {
        RequestId, OrderId, Description, Charge, ChargeAmount, RefundMode, FundingSource, RoyaltyUsers, Metadata,
    };
}
