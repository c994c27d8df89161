using System.Diagnostics;

namespace Refunds.Core.Diagnostics;

/// <summary>
/// The app's one <see cref="ActivitySource"/> and the span names and attributes it writes. A refund from its queue
/// message (or HTTP submit) to the Ping++ call, and a webhook from its delivery to the ledger write, are each one
/// trace: the outer span is the parent of the inner ones. Attributes are ids only (order, request, refund, event,
/// queue message): never a key, a signature, a header or a body.
/// </summary>
public static class RefundsTracing
{
    /// <summary>The source name to subscribe to (OpenTelemetry's <c>AddSource</c>).</summary>
    public const string SourceName = "Refunds";

    public const string OrderId = "refunds.order_id";
    public const string RequestId = "refunds.request_id";
    public const string RefundId = "refunds.refund_id";
    public const string EventId = "refunds.event_id";
    public const string EventType = "refunds.event_type";
    public const string MessageId = "messaging.message.id";
    public const string DeliveryCount = "messaging.message.delivery_count";
    public const string PingppOperation = "pingpp.operation";
    public const string PingppAttempts = "pingpp.attempts";
    public const string StatusCode = "http.response.status_code";
    public const string ErrorType = "error.type";

    internal static readonly ActivitySource Source = new(SourceName);

    public const string Destination = "messaging.destination.name";
    public const string LedgerOperation = "refunds.ledger_operation";

    /// <summary>
    /// One delivery of a refund request message (the queue function). With the trace context of whoever enqueued it
    /// (<paramref name="enqueuedBy"/>, when it parses) the span is that context's child, linked to the span the host
    /// runs the invocation in (if any); without, it is the child of that span as before.
    /// </summary>
    internal static Activity? StartProcess(string messageId, long dequeueCount, MessageTraceContext? enqueuedBy)
    {
        Activity? activity;
        if (enqueuedBy is { } context && context.TryGetParent(out var parent))
        {
            var links = Activity.Current is { } invocation ? new[] { new ActivityLink(invocation.Context) } : null;
            activity = Source.StartActivity("refund process", ActivityKind.Consumer, parent, links: links);
        }
        else
        {
            activity = Source.StartActivity("refund process", ActivityKind.Consumer);
        }

        return activity?.SetTag(MessageId, messageId).SetTag(DeliveryCount, dequeueCount);
    }

    /// <summary>Sending a refund request to the queue; its context rides in the message (<see cref="MessageTraceContext"/>).</summary>
    internal static Activity? StartEnqueue(string queueName, string orderId, string requestId)
        => Source.StartActivity("refund enqueue", ActivityKind.Producer)
            ?.SetTag(Destination, queueName)
            .SetTag(OrderId, orderId)
            .SetTag(RequestId, requestId);

    /// <summary><c>POST /api/orders/{orderId}/refunds</c>: validate, record, enqueue.</summary>
    internal static Activity? StartSubmit(string orderId)
        => Source.StartActivity("refund submit")?.SetTag(OrderId, orderId);

    /// <summary>One Ping++ API call, retries included.</summary>
    internal static Activity? StartPingppCall(string operation, string orderId, string? refundId, string? requestId)
        => Source.StartActivity("pingpp " + operation, ActivityKind.Client)
            ?.SetTag(PingppOperation, operation)
            .SetTag(OrderId, orderId)
            .SetTag(RefundId, refundId)
            .SetTag(RequestId, requestId);

    /// <summary>One webhook delivery: verify, store, apply.</summary>
    internal static Activity? StartWebhook() => Source.StartActivity("webhook receive", ActivityKind.Server);

    /// <summary>A verified event's ids on the webhook span.</summary>
    internal static void TagEvent(Activity? activity, string eventId, string eventType, string? orderId, string? refundId, string? requestId)
        => activity?.SetTag(EventId, eventId)
            .SetTag(EventType, eventType)
            .SetTag(OrderId, orderId)
            .SetTag(RefundId, refundId)
            .SetTag(RequestId, requestId);

    /// <summary>Applying a verified event to the ledger (the write the webhook exists for).</summary>
    internal static Activity? StartLedgerApply(string eventId, string? orderId, string? refundId, string? requestId)
        => Source.StartActivity("ledger apply")
            ?.SetTag(EventId, eventId)
            .SetTag(OrderId, orderId)
            .SetTag(RefundId, refundId)
            .SetTag(RequestId, requestId);

    /// <summary>A ledger write of the refund processor (the request recorded and claimed, its outcome recorded).</summary>
    internal static Activity? StartLedgerWrite(string operation, string requestId)
        => Source.StartActivity("ledger write")
            ?.SetTag(LedgerOperation, operation)
            .SetTag(RequestId, requestId);

    /// <summary>Marks a span failed with a short, secret-free reason (an error kind or code, never a message).</summary>
    internal static void Failed(Activity? activity, string errorType, int? statusCode = null)
    {
        activity?.SetStatus(ActivityStatusCode.Error, errorType)
            .SetTag(ErrorType, errorType)
            .SetTag(StatusCode, statusCode);
    }
}
