using Microsoft.Extensions.Options;

namespace Pingpp.Simulator.Faults;

/// <summary>Thread-safe fault switchboard behind <c>/_sim/faults</c>.</summary>
public sealed class FaultInjector(IOptions<SimulatorOptions> options)
{
    public const string ErrorBeforeCreate = "error_before_create";
    public const string ErrorAfterCreate = "error_after_create";
    public const string HangAfterCreate = "hang_after_create";
    public const string RateLimit = "rate_limit";
    public const string ErrorOnRead = "error_on_read";
    public const string RefundFailure = "refund_failure";
    public const string Duplicate = "duplicate";
    public const string Delay = "delay";
    public const string Reorder = "reorder";
    public const string Drop = "drop";

    /// <summary>Refund objects in answers (create, retrieve, list) and webhooks carry empty <c>metadata</c>: Ping++ not echoing ours.</summary>
    public const string StripMetadata = "strip_metadata";

    /// <summary>A create answers 402 <c>channel_error</c> with <see cref="FaultSpec.FailureCode"/>; with <see cref="FaultSpec.Performed"/> the refund was made first.</summary>
    public const string ChannelError = "channel_error";

    /// <summary>Any /v1 call answers 401 (a request timestamp Ping++ finds too old, or a rotated key), before anything is done.</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>
    /// A create settles its refunds before answering (balance and some channel refunds are synchronous): the answer
    /// says <c>succeeded</c>, or <c>failed</c> with <see cref="FaultSpec.FailureCode"/> when one is given.
    /// </summary>
    public const string SyncRefund = "sync_refund";

    /// <summary>A create answers pending with a channel URL in <c>extra.url</c> (Alipay's confirm-by-password refunds).</summary>
    public const string ChannelUrl = "channel_url";

    /// <summary>Refund objects carry <c>"metadata": []</c> and <c>"extra": []</c>: PHP's empty array (our marker not echoed).</summary>
    public const string PhpEmptyMetadata = "php_empty_metadata";

    /// <summary>Order and charge objects carry <c>app</c> expanded as an object (<c>{"id":…,"object":"app",…}</c>).</summary>
    public const string ExpandApp = "expand_app";

    public static readonly IReadOnlyList<string> Kinds =
        [ErrorBeforeCreate, ErrorAfterCreate, HangAfterCreate, RateLimit, ErrorOnRead, RefundFailure, Duplicate, Delay, Reorder, Drop, StripMetadata, ChannelError, Unauthorized,
         SyncRefund, ChannelUrl, PhpEmptyMetadata, ExpandApp];

    private readonly Lock _gate = new();
    private readonly Dictionary<string, FaultSpec> _faults = [];
    private readonly Random _random = options.Value.FaultSeed is { } seed ? new Random(seed) : new Random();

    /// <summary>Sets the given kinds (others stay as they are). Returns an error message for bad input.</summary>
    public string? Set(IReadOnlyDictionary<string, FaultSpec> faults)
    {
        foreach (var (kind, spec) in faults)
        {
            if (!Kinds.Contains(kind)) return $"unknown fault kind '{kind}'; known: {string.Join(", ", Kinds)}";
            if (spec.Rate is < 0 or > 1) return $"{kind}.rate must be within 0..1";
            if (spec.Next is < 0) return $"{kind}.next must be >= 0";
            if (spec.Status is { } s && (s < 400 || s > 599)) return $"{kind}.status must be a 4xx/5xx status";
            if (spec.HangMs is < 0 || spec.DelayMs is < 0 || spec.RetryAfterSeconds is < 0) return $"{kind}: times must be >= 0";
        }
        lock (_gate)
        {
            foreach (var (kind, spec) in faults)
            {
                spec.Triggered = 0;
                _faults[kind] = spec;
            }
        }
        return null;
    }

    public void Clear()
    {
        lock (_gate) _faults.Clear();
    }

    public Dictionary<string, FaultSpec> Snapshot()
    {
        lock (_gate) return new Dictionary<string, FaultSpec>(_faults);
    }

    /// <summary>Decides whether the fault fires for this call and consumes one "next" if so.</summary>
    public FaultSpec? Trigger(string kind, string? orderId = null)
    {
        lock (_gate)
        {
            if (!_faults.TryGetValue(kind, out var spec)) return null;
            if (spec.OrderId is not null && spec.OrderId != orderId) return null;
            bool fires;
            if (spec.Next is { } next)
            {
                fires = next > 0;
                if (fires) spec.Next = next - 1;
            }
            else
            {
                fires = _random.NextDouble() < (spec.Rate ?? 1.0);
            }
            if (!fires) return null;
            spec.Triggered++;
            return spec;
        }
    }
}
