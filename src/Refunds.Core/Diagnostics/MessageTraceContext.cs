using System.Diagnostics;

namespace Refunds.Core.Diagnostics;

/// <summary>
/// W3C trace context (<c>traceparent</c>, optional <c>tracestate</c>) carried in a queue message we enqueue, so the
/// processing span continues the trace of whoever enqueued it (an HTTP submit, a requeue, a resolved anomaly). It is
/// transport, not request: it is not part of a request's fields or fingerprint, and a value that does not parse is
/// ignored (the message is processed as one without it).
/// </summary>
public readonly record struct MessageTraceContext(string TraceParent, string? TraceState)
{
    /// <summary>W3C's limit for <c>tracestate</c>; a longer one is not carried.</summary>
    public const int MaxTraceStateLength = 512;

    /// <summary>The context of <paramref name="activity"/>, or none when there is no W3C activity.</summary>
    public static MessageTraceContext? From(Activity? activity)
    {
        if (activity is not { IdFormat: ActivityIdFormat.W3C, Id: { } id })
        {
            return null;
        }

        var state = activity.TraceStateString;
        return new MessageTraceContext(id, state is { Length: > 0 and <= MaxTraceStateLength } ? state : null);
    }

    /// <summary>The remote parent this context names, when <see cref="TraceParent"/> is a valid W3C <c>traceparent</c>.</summary>
    public bool TryGetParent(out ActivityContext parent)
        => ActivityContext.TryParse(TraceParent, TraceState, isRemote: true, out parent);
}
