namespace Refunds.Core.Pingpp;

/// <summary>Settings of <see cref="PingppClient"/>, bound from the configuration section <c>Pingpp</c> (app settings <c>Pingpp__*</c>).</summary>
public sealed class PingppClientOptions
{
    public const string SectionName = "Pingpp";

    /// <summary><c>Pingpp__ApiBase</c>: scheme and host (and port) only; <c>/v1/…</c> is appended per call.</summary>
    public string ApiBase { get; set; } = "https://api.pingxx.com";

    /// <summary><c>Pingpp__ApiKey</c>: the secret key (<c>sk_live_…</c> / <c>sk_test_…</c>). Never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary><c>Pingpp__SigningKeyId</c>: versioned Key Vault key id (production). Exactly one of this and <see cref="SigningPrivateKey"/>.</summary>
    public string? SigningKeyId { get; set; }

    /// <summary><c>Pingpp__SigningPrivateKey</c>: PEM text or PEM file path (local runs and tests only).</summary>
    public string? SigningPrivateKey { get; set; }

    /// <summary><c>Pingpp__RequestTimeout</c>: per attempt, including reading the response.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The bound on signing one request (Key Vault <c>sign</c> with its own retries), inside the processor's lease: a
    /// sign that takes longer fails as not sent. Code default; validated with the lease (<c>Refunds.RefundProcessingOptionsValidator</c>).
    /// </summary>
    public TimeSpan SignTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary><c>Pingpp__MaxReadRetries</c>: extra attempts for GETs. Creates are never retried.</summary>
    public int MaxReadRetries { get; set; } = 3;

    /// <summary>First backoff of a GET retry; doubles per attempt, with jitter.</summary>
    public TimeSpan ReadRetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Upper bound of a computed backoff.</summary>
    public TimeSpan ReadRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>A Retry-After longer than this is not waited out inside a call: the call fails as RateLimited/OutcomeUnknown with RetryAfter set.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The largest response body read from Ping++ (a refund list page is a few KiB). A larger answer is not read on: a
    /// create is then treated as outcome unknown and looked up, a read as failed.
    /// </summary>
    public int MaxResponseBytes { get; set; } = 1024 * 1024;

    /// <summary>Safety stop for <see cref="PingppClient.ListAllOrderRefundsAsync"/>.</summary>
    public int MaxListPages { get; set; } = 100;
}
