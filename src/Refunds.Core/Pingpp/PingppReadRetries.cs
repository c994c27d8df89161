using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Refunds.Core.Signing;

namespace Refunds.Core.Pingpp;

/// <summary>
/// The retry pipeline (Polly) of <see cref="PingppClient"/>'s reads. A create never goes through it: Ping++ has no
/// idempotency key, so a create is sent once and an uncertain outcome is looked up by the caller instead.
/// Retried: outcome unknown, rate limited, and not sent unless the signer failed (the Key Vault pipeline retried
/// already). A <c>Retry-After</c> is waited out exactly, through the injected <see cref="TimeProvider"/>; one longer
/// than <see cref="PingppClientOptions.MaxRetryAfter"/> ends the call at once. Otherwise exponential backoff with
/// jitter from <see cref="PingppClientOptions.ReadRetryBaseDelay"/>, capped at <see cref="PingppClientOptions.ReadRetryMaxDelay"/>.
/// </summary>
internal static class PingppReadRetries
{
    /// <summary>What the retry log line names: the operation and its ids.</summary>
    public static readonly ResiliencePropertyKey<PingppCall> CallKey = new("pingpp.call");

    public static ResiliencePipeline Create(PingppClientOptions options, TimeProvider time, ILogger logger)
    {
        if (options.MaxReadRetries == 0)
        {
            return ResiliencePipeline.Empty;
        }

        var maxRetryAfter = options.MaxRetryAfter;
        return new ResiliencePipelineBuilder { Name = "pingpp-reads", TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxReadRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.ReadRetryBaseDelay,
                MaxDelay = options.ReadRetryMaxDelay,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is PingppException ex && IsRetryable(ex, maxRetryAfter)),
                // The server's Retry-After wins over the computed backoff (and is not capped by ReadRetryMaxDelay).
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is PingppException { RetryAfter: { } retryAfter } ? retryAfter : (TimeSpan?)null),
                OnRetry = args =>
                {
                    var call = args.Context.Properties.GetValue(CallKey, PingppCall.Unknown);
                    PingppClientLog.RetryingRead(logger, call.Operation, (long)args.RetryDelay.TotalMilliseconds, call.OrderId, call.RefundId, args.AttemptNumber + 2);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    internal static bool IsRetryable(PingppException ex, TimeSpan maxRetryAfter)
    {
        if (ex.RetryAfter is { } retryAfter && retryAfter > maxRetryAfter)
        {
            return false;
        }

        return ex.Kind switch
        {
            PingppErrorKind.OutcomeUnknown or PingppErrorKind.RateLimited => true,
            // The signer already retried (Key Vault pipeline); a connection that never opened is worth another try.
            PingppErrorKind.NotSent => ex.InnerException is not RequestSigningException,
            _ => false,
        };
    }
}

/// <summary>One Ping++ call as the logs name it.</summary>
internal sealed record PingppCall(string Operation, string OrderId, string? RefundId)
{
    public static readonly PingppCall Unknown = new("unknown", "", null);

    /// <summary>A create leaves only if it can be answered by then (see <see cref="PingppClient.CreateOrderRefundAsync(string, CreateOrderRefundRequest, DateTimeOffset?, CancellationToken)"/>).</summary>
    public DateTimeOffset? AnsweredBy { get; init; }

    /// <summary>The refund request a create performs (its metadata), for the logs and the trace.</summary>
    public string? RequestId { get; init; }
}
