using System.Net;
using System.Text.Json;

namespace Refunds.Core.Pingpp;

/// <summary>What a failed Ping++ call means for the money: callers branch on this, never on messages.</summary>
public enum PingppErrorKind
{
    /// <summary>Ping++ answered with a definite 4xx: it did not perform the request. Retrying unchanged will fail again.</summary>
    Rejected,

    /// <summary>Ping++ throttled the request (429, or 403 unless its body is a request/channel error about something else) and did not perform it. Retry later.</summary>
    RateLimited,

    /// <summary>The request may or may not have been performed (timeout, connection lost after sending, 5xx, unreadable 2xx). Check before retrying a create.</summary>
    OutcomeUnknown,

    /// <summary>
    /// The request was certainly not performed (signing failed, DNS or connection refused, too late to be answered
    /// within the claim, or Ping++ refused to authenticate it: 401). Safe to retry.
    /// </summary>
    NotSent,
}

/// <summary>The one exception type of <see cref="PingppClient"/>. Never carries the API key or a signature.</summary>
public sealed class PingppException : Exception
{
    public PingppException(PingppErrorKind kind, string message, int? statusCode = null, string? errorType = null,
        string? errorCode = null, string? param = null, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
        ErrorType = errorType;
        ErrorCode = errorCode;
        Param = param;
        RetryAfter = retryAfter;
    }

    public PingppErrorKind Kind { get; }

    /// <summary>HTTP status, when Ping++ answered.</summary>
    public int? StatusCode { get; }

    /// <summary><c>error.type</c>: <c>invalid_request_error</c>, <c>api_error</c> or <c>channel_error</c>.</summary>
    public string? ErrorType { get; }

    /// <summary><c>error.code</c>, the specific reason (same table as a refund's <c>failure_code</c>).</summary>
    public string? ErrorCode { get; }

    /// <summary><c>error.param</c>: the request parameter Ping++ complained about.</summary>
    public string? Param { get; }

    /// <summary>Ping++'s Retry-After, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Builds the exception for a non-success HTTP answer, reading <c>{"error":{type,message,code,param}}</c> when present.</summary>
    internal static PingppException FromResponse(HttpStatusCode status, ReadOnlySpan<byte> body, TimeSpan? retryAfter)
    {
        var code = (int)status;
        var error = TryReadError(body);
        var kind = Classify(code, error);
        var what = error?.Message is { Length: > 0 } m ? m : "no error message (the response body is not a Ping++ error object)";
        var message = $"Ping++ answered {code} {ReasonOf(kind)}: {what}"
                      + (error?.Type is { } t ? $" [type {t}" + (error.Code is { } c ? $", code {c}" : "") + (error.Param is { } p ? $", param {p}" : "") + "]" : "");
        return new PingppException(kind, message, code, error?.Type, error?.Code, error?.Param, retryAfter);
    }

    private static string ReasonOf(PingppErrorKind kind) => kind switch
    {
        PingppErrorKind.Rejected => "(rejected, not performed)",
        PingppErrorKind.RateLimited => "(rate limited, not performed)",
        PingppErrorKind.NotSent => "(refused before anything was performed)",
        _ => "(outcome unknown)",
    };

    /// <summary>
    /// The status codes as the official SDKs read them (pingpp-api.md §5): 401 is authentication (clock skew, a
    /// rotated key), refused before anything is done: not sent, retried and alerted on, never a failed refund. 403 is
    /// rate limiting for four of the SDKs: back off, unless the body is a Ping++ request or channel error that does
    /// not speak of rate limits. 402 <c>channel_error</c>: a definite refusal by its code fails; any other code may
    /// still complete at the channel: unknown, looked up before anything is created again.
    /// </summary>
    private static PingppErrorKind Classify(int status, ErrorBody? error) => status switch
    {
        429 => PingppErrorKind.RateLimited,
        401 => PingppErrorKind.NotSent,
        403 when SaysRateLimit(error) || error?.Type is not ("invalid_request_error" or "channel_error") => PingppErrorKind.RateLimited,
        402 => IsDefiniteChannelRefusal(error?.Code) ? PingppErrorKind.Rejected : PingppErrorKind.OutcomeUnknown,
        // 408: the server gave up on the request; whether it started work is not stated, so treat it as unknown.
        408 => PingppErrorKind.OutcomeUnknown,
        >= 400 and < 500 => PingppErrorKind.Rejected,
        _ => PingppErrorKind.OutcomeUnknown,
    };

    /// <summary>
    /// A 402 code that says the channel refused the refund for good. Ping++'s code table is not public; these are
    /// the refusal words its codes use. Anything else (no code, timeouts, "processing", system errors) may still
    /// complete and is treated as unknown.
    /// </summary>
    internal static bool IsDefiniteChannelRefusal(string? code)
    {
        if (string.IsNullOrEmpty(code))
        {
            return false;
        }

        string[] refusals = ["rejected", "refused", "declined", "exceeded", "insufficient", "expired", "not_allowed", "forbidden", "invalid", "closed", "not_refundable"];
        return refusals.Any(r => code.Contains(r, StringComparison.OrdinalIgnoreCase));
    }

    private static bool SaysRateLimit(ErrorBody? error)
    {
        if (error is null)
        {
            return false;
        }

        string[] hints = ["rate limit", "rate_limit", "ratelimit", "too many requests", "too_many_requests", "频率", "频繁", "限流", "过于"];
        return hints.Any(h => (error.Code?.Contains(h, StringComparison.OrdinalIgnoreCase) ?? false)
                              || (error.Message?.Contains(h, StringComparison.OrdinalIgnoreCase) ?? false));
    }

    private static ErrorBody? TryReadError(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return new ErrorBody(Text(error, "type"), Text(error, "message"), Text(error, "code"), Text(error, "param"));
        }
        catch (JsonException)
        {
            return null;
        }

        static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => v.GetRawText(),
        } : null;
    }

    private sealed record ErrorBody(string? Type, string? Message, string? Code, string? Param);
}
