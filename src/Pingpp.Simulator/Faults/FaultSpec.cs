namespace Pingpp.Simulator.Faults;

/// <summary>One fault kind's setting. Fires for the next <see cref="Next"/> matching calls, or else with
/// probability <see cref="Rate"/> (default 1 = always). The other fields parameterise the kinds that need them.</summary>
public sealed class FaultSpec
{
    public double? Rate { get; set; }
    public int? Next { get; set; }

    /// <summary>Only calls/refunds of this order trigger the fault.</summary>
    public string? OrderId { get; set; }

    /// <summary>error_before_create / error_after_create / error_on_read: the 5xx status (default 500); rate_limit: 429 (default) or 403 (answered without a body).</summary>
    public int? Status { get; set; }

    /// <summary>hang_after_create: how long the response is held before the connection is dropped (default 30000).</summary>
    public int? HangMs { get; set; }

    /// <summary>rate_limit: the Retry-After seconds (default 1).</summary>
    public int? RetryAfterSeconds { get; set; }

    /// <summary>delay: how long the first webhook delivery waits; reorder: the longest an event is held (default 5000).</summary>
    public int? DelayMs { get; set; }

    /// <summary>refund_failure: what the failed refund says; channel_error: the error's code and message; sync_refund: the code of a refund that fails at once (none: it succeeds).</summary>
    public string? FailureCode { get; set; }
    public string? FailureMsg { get; set; }

    /// <summary>channel_error: the refund is created before the 402 is answered (the channel may still complete it).</summary>
    public bool Performed { get; set; }

    /// <summary>Read-only in GET: how often it fired.</summary>
    public int Triggered { get; set; }
}
