using System.Diagnostics;
using System.Text;
using Refunds.Core.Diagnostics;
using Refunds.Core.Refunds;
using static Refunds.Core.UnitTests.Refunds.RefundRequestMessages;

namespace Refunds.Core.UnitTests.Refunds;

/// <summary>
/// The W3C trace context a queue message we enqueue carries: read aside by the parser, never part of the request or
/// its fingerprint, never a reason to reject (a bad value is dropped), and not accepted in an HTTP body.
/// </summary>
public class MessageTraceContextTests
{
    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    [Fact]
    public void A_traceparent_is_read_aside_and_leaves_the_request_and_its_fingerprint_as_they_were()
    {
        var plain = RefundRequestParser.Parse(Valid, "m");
        var traced = RefundRequestParser.Parse(With(("traceparent", $"\"{TraceParent}\""), ("tracestate", "\"vendor=1\"")), "m");

        Assert.True(traced.IsValid, string.Join("; ", traced.Reasons));
        Assert.Equal(plain.Request, traced.Request);
        Assert.Equal(plain.Request!.Fingerprint, traced.Request.Fingerprint);
        Assert.Equal(plain.Request.ToQueueJson(), traced.Request.ToQueueJson());
        Assert.Null(plain.TraceContext);
        Assert.Equal(new MessageTraceContext(TraceParent, "vendor=1"), traced.TraceContext);
        Assert.True(traced.TraceContext!.Value.TryGetParent(out var parent));
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", parent.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", parent.SpanId.ToHexString());
        Assert.True(parent.IsRemote);
    }

    [Theory]
    [InlineData("\"not-a-traceparent\"")]
    [InlineData("\"00-00000000000000000000000000000000-0000000000000000-01\"")]
    [InlineData("\"\"")]
    [InlineData("42")]
    [InlineData("{\"x\":1}")]
    [InlineData("null")]
    public void A_malformed_traceparent_is_ignored_never_a_rejection(string raw)
    {
        var parsed = RefundRequestParser.Parse(With(("traceparent", raw), ("tracestate", "[1]")), "m");

        Assert.True(parsed.IsValid, string.Join("; ", parsed.Reasons));
        Assert.Equal(RefundRequestParser.Parse(Valid, "m").Request, parsed.Request);
        Assert.False(parsed.TraceContext is { } context && context.TryGetParent(out _));
    }

    [Fact]
    public void A_traceparent_given_twice_is_dropped_not_rejected()
    {
        var message = Valid.TrimEnd()[..^1] + $",\"traceparent\":\"{TraceParent}\",\"traceparent\":\"{TraceParent}\"}}";

        var parsed = RefundRequestParser.Parse(message, "m");

        Assert.True(parsed.IsValid, string.Join("; ", parsed.Reasons));
        Assert.Null(parsed.TraceContext);
    }

    [Fact]
    public void A_base64_message_carries_its_trace_context_too()
    {
        var json = With(("traceparent", $"\"{TraceParent}\""));

        var parsed = RefundRequestParser.Parse(Convert.ToBase64String(Encoding.UTF8.GetBytes(json)), "m");

        Assert.True(parsed.IsValid, string.Join("; ", parsed.Reasons));
        Assert.Equal(TraceParent, parsed.TraceContext?.TraceParent);
    }

    [Fact]
    public void An_http_body_cannot_carry_trace_fields_they_are_unknown_fields_there()
    {
        var parsed = RefundRequestParser.ParseHttp(
            Encoding.UTF8.GetBytes($$"""{"request_id":"rr-1","description":"d","traceparent":"{{TraceParent}}"}"""), OrderId, null);

        Assert.False(parsed.IsValid);
        Assert.Contains(parsed.Reasons, r => r.Field == "traceparent");
    }

    [Fact]
    public void The_queue_message_carries_the_enqueuers_context_and_reads_back_as_the_same_request()
    {
        var request = RefundRequestParser.Parse(Valid, "m").Request!;
        using var activity = new Activity("enqueue").SetIdFormat(ActivityIdFormat.W3C).Start();
        activity.TraceStateString = "vendor=1";

        var message = RefundRequestQueue.QueueMessage(request, MessageTraceContext.From(activity));
        var read = RefundRequestParser.Parse(message, "m");

        Assert.Equal(request, read.Request);
        Assert.Equal(new MessageTraceContext(activity.Id!, "vendor=1"), read.TraceContext);
        Assert.StartsWith(Encoding.UTF8.GetString(request.ToQueueJsonUtf8())[..^1], Encoding.UTF8.GetString(message), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_an_activity_the_message_is_the_canonical_json()
    {
        var request = RefundRequestParser.Parse(Valid, "m").Request!;

        Assert.Null(MessageTraceContext.From(null));
        Assert.Equal(request.ToQueueJsonUtf8(), RefundRequestQueue.QueueMessage(request, null));
    }

    [Fact]
    public void A_message_the_trace_would_take_past_the_reenqueue_limit_goes_without_it()
    {
        var padding = new string('x', RefundRequestRules.MaxCanonicalJsonBytes - 400);
        var request = RefundRequestParser.Parse(Valid, "m").Request! with
        {
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["pad"] = padding },
        };
        Assert.True(request.ToQueueJsonUtf8().Length <= RefundRequestRules.MaxCanonicalJsonBytes);

        var message = RefundRequestQueue.QueueMessage(request, new MessageTraceContext(TraceParent, new string('s', 500)));

        Assert.Equal(request.ToQueueJsonUtf8(), message);
    }
}
