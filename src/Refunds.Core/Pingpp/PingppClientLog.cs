using System.Net;
using Microsoft.Extensions.Logging;

namespace Refunds.Core.Pingpp;

/// <summary>Structured logs of <see cref="PingppClient"/>. Never the API key, the signature or a body.</summary>
internal static partial class PingppClientLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Debug,
        Message = "Ping++ {Method} {Operation} answered {StatusCode} (order {OrderId}, refund {RefundId}, attempt {Attempt})")]
    public static partial void Answered(ILogger logger, string method, string operation, int statusCode, string orderId, string? refundId, int attempt);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information,
        Message = "Ping++ created {Count} refund(s) for order {OrderId}: first refund {RefundId}, status {RefundStatus}, request {RequestId}")]
    public static partial void RefundsCreated(ILogger logger, int count, string orderId, string? refundId, PingppRefundStatus? refundStatus, string? requestId);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning,
        Message = "Ping++ {Method} {Operation} failed as {Kind} (status {StatusCode}, order {OrderId}, refund {RefundId}, attempt {Attempt}): {Reason}")]
    public static partial void Failed(ILogger logger, string method, string operation, PingppErrorKind kind, int? statusCode, string orderId, string? refundId, int attempt, string reason);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information,
        Message = "Ping++ {Operation} will be retried in {DelayMs} ms (order {OrderId}, refund {RefundId}, next attempt {Attempt})")]
    public static partial void RetryingRead(ILogger logger, string operation, long delayMs, string orderId, string? refundId, int attempt);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Error,
        Message = "Ping++ create refund for order {OrderId} (request {RequestId}) ended with unknown outcome (status {StatusCode}); do not re-send before checking the order's refunds")]
    public static partial void CreateOutcomeUnknown(ILogger logger, string orderId, string? requestId, int? statusCode);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning,
        Message = "Ping++ {Operation} for order {OrderId} not sent: it could not be answered before {AnsweredBy} (lease or grace period)")]
    public static partial void TooLateToSend(ILogger logger, string operation, string orderId, DateTimeOffset answeredBy);

    public static int StatusOf(HttpStatusCode code) => (int)code;
}
