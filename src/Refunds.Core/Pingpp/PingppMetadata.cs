namespace Refunds.Core.Pingpp;

/// <summary>Keys this app writes into a Ping++ refund's <c>metadata</c>; Ping++ echoes metadata on the refund object.</summary>
public static class PingppMetadata
{
    /// <summary>Our refund request id. Ping++ has no idempotency key: this is how a refund is matched to its request.</summary>
    public const string RequestId = "refund_request_id";
}
