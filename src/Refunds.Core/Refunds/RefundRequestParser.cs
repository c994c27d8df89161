using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Refunds.Core.Refunds;

/// <summary>
/// Reads refund requests from the <c>refund-requests</c> queue and from <c>POST /api/orders/{orderId}/refunds</c>.
/// Never throws on bad input: the result lists every problem found, so a producer fixes its message in one go.
/// </summary>
/// <remarks>
/// <para>Queue messages may be plain JSON or base64-encoded JSON (Azure SDK producers differ): text that starts with
/// <c>{</c> (after JSON whitespace or a BOM) is JSON; otherwise strict base64 (standard alphabet, padded) that decodes to
/// UTF-8 JSON. The size limit (<see cref="RefundRequestRules.MaxMessageBytes"/>) applies to the message as received
/// and is checked before anything is decoded.</para>
/// <para>The work is shared out: <see cref="RefundMessageDecoder"/> (transport), <see cref="RefundRequestIdSource"/>
/// (where the ids come from), <see cref="RefundRequestSchemaReader"/> (fields; unknown fields are rejected) and
/// <see cref="RefundRejectionCollector"/> (each reason said once).</para>
/// <para>A queue message may also carry the W3C trace context of whoever enqueued it (<c>traceparent</c>,
/// <c>tracestate</c>): read aside into <see cref="RefundRequestParseResult.TraceContext"/>, never part of the request.</para>
/// </remarks>
public static class RefundRequestParser
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// A queue message as bytes. A message without <c>request_id</c> is rejected; <paramref name="fallbackRequestId"/>
    /// (the queue message id) only names that rejection, it never becomes a request's id.
    /// </summary>
    public static RefundRequestParseResult Parse(ReadOnlySpan<byte> message, string? fallbackRequestId)
    {
        var rawText = Encoding.UTF8.GetString(message);
        var ids = new QueueRequestIdSource(fallbackRequestId);
        if (message.Length > RefundRequestRules.MaxMessageBytes)
        {
            return TooLarge(message.Length, rawText, ids);
        }

        if (!Utf8.IsValid(message))
        {
            return Reject(ids, rawText, RefundRequestFields.Message, "is not UTF-8 text");
        }

        return ParseMessage(message, rawText, ids);
    }

    /// <summary>A queue message as text (what the Functions queue trigger hands over).</summary>
    public static RefundRequestParseResult Parse(string message, string? fallbackRequestId)
    {
        ArgumentNullException.ThrowIfNull(message);
        var ids = new QueueRequestIdSource(fallbackRequestId);

        // Every char is at least one UTF-8 byte: a long string is too large without counting.
        if (message.Length > RefundRequestRules.MaxMessageBytes)
        {
            return TooLarge(null, message, ids);
        }

        byte[] utf8;
        try
        {
            utf8 = StrictUtf8.GetBytes(message);
        }
        catch (EncoderFallbackException)
        {
            return Reject(ids, message, RefundRequestFields.Message, "is not valid Unicode text (unpaired surrogate)");
        }

        if (utf8.Length > RefundRequestRules.MaxMessageBytes)
        {
            return TooLarge(utf8.Length, message, ids);
        }

        return ParseMessage(utf8, message, ids);
    }

    /// <summary>
    /// The body of <c>POST /api/orders/{orderId}/refunds</c>: the queue fields without <c>order_id</c> (taken from the
    /// route; a body <c>order_id</c> must match it). The request id is the body's <c>request_id</c>, else
    /// <paramref name="idempotencyKey"/> (the <c>Idempotency-Key</c> header; pass null when absent); with neither the
    /// body is rejected (<c>request_id</c> is required). A body id and a header id that differ are rejected.
    /// The body must be plain JSON.
    /// </summary>
    public static RefundRequestParseResult ParseHttp(ReadOnlySpan<byte> body, string routeOrderId, string? idempotencyKey)
    {
        var rawText = Encoding.UTF8.GetString(body);
        var ids = new HttpRequestIdSource(routeOrderId ?? "", idempotencyKey);
        if (body.Length > RefundRequestRules.MaxMessageBytes)
        {
            return TooLarge(body.Length, rawText, ids);
        }

        if (!Utf8.IsValid(body))
        {
            return Reject(ids, rawText, RefundRequestFields.Message, "is not UTF-8 text");
        }

        return ParseMessage(body, rawText, ids);
    }

    private static RefundRequestParseResult ParseMessage(ReadOnlySpan<byte> utf8, string rawText, RefundRequestIdSource ids)
    {
        var rejections = new RefundRejectionCollector();
        var reader = new RefundRequestSchemaReader(rejections, ids.AcceptsTraceContext);
        var decoded = default(RefundMessageDecoder.Decoded);
        try
        {
            decoded = RefundMessageDecoder.Decode(utf8, ids.AllowsBase64, rejections);
            if (decoded.Json is { } json)
            {
                reader.ReadDocument(json, decoded.Origin);
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            // What was understood is already reported; a surprise from the JSON stack must not become a retry loop.
            rejections.Report(RefundRequestFields.Message, "could not be read: " + ex.GetType().Name);
        }

        return Finish(ids, rejections, reader, rawText, decoded.Base64);
    }

    /// <summary>Settles the ids, checks the draft against the rules, and answers the request or every reason against it.</summary>
    private static RefundRequestParseResult Finish(
        RefundRequestIdSource ids, RefundRejectionCollector rejections, RefundRequestSchemaReader reader, string rawText, bool base64)
    {
        if (!reader.SawObject)
        {
            return RefundRequestParseResult.Rejected(rejections.Reasons, rawText, ids.UsableFallbackId(), ids.UsableOrderId(null), base64, reader.TraceContext);
        }

        var orderId = ids.ResolveOrderId(reader.OrderId, reader.OrderIdPresent, rejections);
        var requestId = ids.ResolveRequestId(reader.RequestId, reader.RequestIdPresent, rejections);
        rejections.RequirePresent(RefundRequestFields.Description, reader.DescriptionPresent);

        var draft = reader.Draft(requestId, orderId);
        RefundRequestRules.Validate(draft, rejections.RuleReasons, rejections.IsReported);
        if (rejections.Reasons.Count == 0)
        {
            return RefundRequestParseResult.Valid(draft, rawText, base64, reader.TraceContext);
        }

        var usableId = RefundRequestRules.RequestIdProblem(requestId) is null ? requestId : ids.UsableFallbackId();
        return RefundRequestParseResult.Rejected(rejections.Reasons, rawText, usableId, ids.UsableOrderId(orderId), base64, reader.TraceContext);
    }

    private static RefundRequestParseResult TooLarge(long? bytes, string rawText, RefundRequestIdSource ids)
        => Reject(ids, rawText, RefundRequestFields.Message,
            bytes is { } n
                ? $"is {n.ToString(CultureInfo.InvariantCulture)} bytes, more than the {RefundRequestRules.MaxMessageBytes} bytes allowed"
                : $"is more than the {RefundRequestRules.MaxMessageBytes} bytes allowed");

    private static RefundRequestParseResult Reject(RefundRequestIdSource ids, string rawText, string field, string reason)
    {
        var rejections = new RefundRejectionCollector();
        rejections.Report(field, reason);
        return Finish(ids, rejections, new RefundRequestSchemaReader(rejections), rawText, base64: false);
    }
}
