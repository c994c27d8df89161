using System.Diagnostics.CodeAnalysis;
using Refunds.Core.Diagnostics;

namespace Refunds.Core.Refunds;

/// <summary>Either a valid <see cref="RefundRequest"/> or every reason it was rejected, with the raw text for the record.</summary>
public sealed class RefundRequestParseResult
{
    private RefundRequestParseResult(RefundRequest? request, IReadOnlyList<RefundRequestRejectionReason> reasons,
        string rawText, string? requestId, string? orderId, bool base64Encoded, MessageTraceContext? traceContext)
    {
        TraceContext = traceContext;
        Request = request;
        Reasons = reasons;
        RawText = rawText;
        RequestId = requestId;
        OrderId = orderId;
        Base64Encoded = base64Encoded;
    }

    /// <summary>The request when <see cref="IsValid"/>; null otherwise.</summary>
    public RefundRequest? Request { get; }

    /// <summary>Every reason the request was rejected; empty when <see cref="IsValid"/>.</summary>
    public IReadOnlyList<RefundRequestRejectionReason> Reasons { get; }

    /// <summary>
    /// The message exactly as received (for a base64 message: the base64 text, not the decoded JSON), so a rejection
    /// record shows what the producer sent. Bytes that are not UTF-8 appear as U+FFFD.
    /// </summary>
    public string RawText { get; }

    /// <summary>
    /// The id to record the outcome under, also for a rejection: a usable <c>request_id</c> from the message, else the
    /// fallback (the queue message id, or the <c>Idempotency-Key</c> header). Null when no usable id exists.
    /// </summary>
    public string? RequestId { get; }

    /// <summary>The order id when it is a usable Ping++ id (so a rejection can be filed under its order); else null.</summary>
    public string? OrderId { get; }

    /// <summary>True when the message was base64-encoded JSON rather than plain JSON.</summary>
    public bool Base64Encoded { get; }

    /// <summary>The W3C trace context the message carried (queue messages only), as given: not validated, not part of the request.</summary>
    public MessageTraceContext? TraceContext { get; }

    [MemberNotNullWhen(true, nameof(Request))]
    public bool IsValid => Request is not null;

    internal static RefundRequestParseResult Valid(RefundRequest request, string rawText, bool base64Encoded, MessageTraceContext? traceContext = null)
        => new(request, [], rawText, request.RequestId, request.OrderId, base64Encoded, traceContext);

    internal static RefundRequestParseResult Rejected(IReadOnlyList<RefundRequestRejectionReason> reasons, string rawText,
        string? requestId, string? orderId, bool base64Encoded, MessageTraceContext? traceContext = null)
    {
        if (reasons.Count == 0)
        {
            throw new ArgumentException("A rejection needs at least one reason.", nameof(reasons));
        }

        return new(null, reasons, rawText, requestId, orderId, base64Encoded, traceContext);
    }
}
