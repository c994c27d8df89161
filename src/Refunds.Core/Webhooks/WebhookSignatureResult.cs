namespace Refunds.Core.Webhooks;

/// <summary>Outcome of checking <c>X-Pingplusplus-Signature</c>; everything but <see cref="Valid"/> is a rejection.</summary>
public enum WebhookSignatureResult
{
    Valid,

    /// <summary>No header, or an empty one (what old Ping++ test mode sent).</summary>
    MissingSignature,

    /// <summary>Not base64, or too long to be an RSA signature of a 2048–4096-bit key.</summary>
    MalformedSignature,

    /// <summary>Well-formed, but no configured key verifies it over the received bytes.</summary>
    InvalidSignature,
}
