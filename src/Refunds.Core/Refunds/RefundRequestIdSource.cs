namespace Refunds.Core.Refunds;

/// <summary>
/// Where a refund request's ids come from: the queue message alone (<see cref="QueueRequestIdSource"/>) or the HTTP
/// request's route and <c>Idempotency-Key</c> header beside the body (<see cref="HttpRequestIdSource"/>).
/// </summary>
internal abstract class RefundRequestIdSource
{
    /// <summary>Whether a base64-encoded message is accepted (queue producers differ; HTTP bodies are plain JSON).</summary>
    public abstract bool AllowsBase64 { get; }

    /// <summary>Whether the message may carry W3C trace context fields (queue messages we enqueue; HTTP has headers for it).</summary>
    public virtual bool AcceptsTraceContext => false;

    /// <summary>The order id of the request, from the body's <c>order_id</c> (<paramref name="present"/> when given) or elsewhere.</summary>
    public abstract string? ResolveOrderId(string? bodyOrderId, bool present, RefundRejectionCollector rejections);

    /// <summary>The request id, from the body's <c>request_id</c> (<paramref name="present"/> when given) or elsewhere; reports when there is none.</summary>
    public abstract string? ResolveRequestId(string? bodyRequestId, bool present, RefundRejectionCollector rejections);

    /// <summary>An id to file a rejection under when the message has no usable request id of its own; never a request's id.</summary>
    public abstract string? FallbackRequestId { get; }

    /// <summary>The order id known without the body (the route's), or null.</summary>
    public virtual string? OrderIdWithoutBody => null;

    /// <summary>The fallback id when it is usable as a request id.</summary>
    public string? UsableFallbackId()
        => RefundRequestRules.RequestIdProblem(FallbackRequestId) is null ? FallbackRequestId : null;

    /// <summary>The order id when it is a usable Ping++ order id (so a rejection can be filed under its order); else null.</summary>
    public string? UsableOrderId(string? orderId)
    {
        var candidate = orderId ?? OrderIdWithoutBody;
        return RefundRequestRules.IsPingppOrderId(candidate) ? candidate : null;
    }
}

/// <summary>A queue message: both ids come from the message; the queue message id only names a rejection.</summary>
internal sealed class QueueRequestIdSource(string? queueMessageId) : RefundRequestIdSource
{
    public override bool AllowsBase64 => true;

    public override bool AcceptsTraceContext => true;

    public override string? FallbackRequestId => queueMessageId;

    public override string? ResolveOrderId(string? bodyOrderId, bool present, RefundRejectionCollector rejections)
    {
        rejections.RequirePresent(RefundRequestFields.OrderId, present);
        return bodyOrderId;
    }

    public override string? ResolveRequestId(string? bodyRequestId, bool present, RefundRejectionCollector rejections)
    {
        // The queue message id is never the request's id: a redelivered, re-sent or poison copy of the message has
        // another one, so a request under it could be performed twice. It only names the rejection.
        if (!present && !rejections.WasReported(RefundRequestFields.RequestId))
        {
            rejections.Report(RefundRequestFields.RequestId, "is required (the idempotency key of the refund; the queue message id cannot serve: a re-sent or poison copy gets a new one)");
        }

        return present ? bodyRequestId : null;
    }
}

/// <summary>
/// <c>POST /api/orders/{orderId}/refunds</c>: the order id is the route's (a body <c>order_id</c> must match it); the
/// request id is the body's <c>request_id</c>, else the <c>Idempotency-Key</c> header, and the two must agree.
/// </summary>
internal sealed class HttpRequestIdSource(string routeOrderId, string? idempotencyKey) : RefundRequestIdSource
{
    public override bool AllowsBase64 => false;

    public override string? FallbackRequestId => idempotencyKey;

    public override string? OrderIdWithoutBody => routeOrderId;

    public override string? ResolveOrderId(string? bodyOrderId, bool present, RefundRejectionCollector rejections)
    {
        if (present && bodyOrderId is not null && !string.Equals(bodyOrderId, routeOrderId, StringComparison.Ordinal))
        {
            rejections.Report(RefundRequestFields.OrderId, $"'{bodyOrderId}' differs from the order id in the path '{routeOrderId}'");
        }

        return routeOrderId;
    }

    public override string? ResolveRequestId(string? bodyRequestId, bool present, RefundRejectionCollector rejections)
    {
        if (idempotencyKey is { } key && RefundRequestRules.RequestIdProblem(key) is { } keyProblem)
        {
            rejections.Report(RefundRequestFields.IdempotencyKeyHeader, keyProblem);
            if (!present)
            {
                // The header is the id: its problem is already said, under the header's name.
                rejections.MarkReported(RefundRequestFields.RequestId);
            }
        }

        if (present && idempotencyKey is { } header && !string.Equals(bodyRequestId, header, StringComparison.Ordinal))
        {
            rejections.Report(RefundRequestFields.RequestId, $"'{bodyRequestId}' differs from the {RefundRequestFields.IdempotencyKeyHeader} header '{header}'");
        }

        if (!present && idempotencyKey is null && !rejections.WasReported(RefundRequestFields.RequestId))
        {
            // A generated id would make every retry of a lost answer a new refund.
            rejections.Report(RefundRequestFields.RequestId,
                $"is required: give request_id in the body or an {RefundRequestFields.IdempotencyKeyHeader} header, and reuse it when you retry");
        }

        return present ? bodyRequestId : idempotencyKey;
    }
}
