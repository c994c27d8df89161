using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Net;
using System.Text;
using OpenTelemetry.Trace;
using Refunds.Core.Diagnostics;
using Refunds.Core.Ledger;
using Refunds.Core.Refunds;

namespace Refunds.IntegrationTests.RefundRequests;

/// <summary>
/// The app's own tracing registration (the dev host calls the worker's), with OpenTelemetry's in-memory exporter
/// added: a refund is one connected trace from its queue message to the Ping++ create, and a webhook from its
/// delivery to the ledger write, with the ids as attributes and no secret in any of them. Activity listeners are
/// process-wide, so spans of other tests may be exported too: each test picks its own by request id.
/// </summary>
public sealed class RefundTracingTests
{
    [Fact]
    public async Task A_queued_refund_is_one_trace_from_the_message_to_the_pingpp_create_with_its_ids_and_no_secret()
    {
        var spans = new SpanList();
        await using var app = await RefundAppHarness.StartAsync(
            webhooks: true,
            configureServices: (services, _) => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
        var request = await app.SeededRequestAsync("rr_trace_" + Guid.NewGuid().ToString("N"));

        await app.RequestQueue.EnqueueAsync(request, CancellationToken.None);
        var submitted = await app.WaitForStateAsync(request.RequestId, RefundRequestState.Submitted);
        var refundId = Assert.Single(submitted.RefundIds);

        var process = await spans.WaitForAsync(s => s.OperationName == "refund process" && Tag(s, RefundsTracing.RequestId) == request.RequestId);
        var create = Assert.Single(spans.Snapshot(), s => s.OperationName == "pingpp create_order_refund" && Tag(s, RefundsTracing.RequestId) == request.RequestId);
        Assert.Equal(process.TraceId, create.TraceId);
        Assert.Equal(process.SpanId, create.ParentSpanId);
        Assert.Equal(ActivityKind.Client, create.Kind);
        Assert.Equal(request.OrderId, Tag(process, RefundsTracing.OrderId));
        Assert.False(string.IsNullOrEmpty(Tag(process, RefundsTracing.MessageId)));
        Assert.Equal((request.OrderId, refundId), (Tag(create, RefundsTracing.OrderId), Tag(create, RefundsTracing.RefundId)));
        Assert.Equal(ActivityStatusCode.Unset, create.Status);
        // Every span that names this request is in the one trace.
        Assert.All(spans.Snapshot().Where(s => Tag(s, RefundsTracing.RequestId) == request.RequestId), s => Assert.Equal(process.TraceId, s.TraceId));

        // The refund settles at "Ping++": its refund.succeeded webhook is a trace down to the ledger write.
        await app.Sim.SettleAsync(request.OrderId);
        await app.WaitForStateAsync(request.RequestId, RefundRequestState.Succeeded);
        var eventId = Assert.Single(await app.Sim.GetEventsAsync(), e => e.Type == "refund.succeeded" && e.ObjectId == refundId).Id;
        var webhook = await spans.WaitForAsync(s => s.OperationName == "webhook receive" && Tag(s, RefundsTracing.EventId) == eventId);
        var apply = await spans.WaitForAsync(s => s.OperationName == "ledger apply" && Tag(s, RefundsTracing.EventId) == eventId);
        Assert.Equal((webhook.TraceId, webhook.SpanId), (apply.TraceId, apply.ParentSpanId));
        // A refund event names its refund and (metadata) our request; the order only when Ping++ sends it.
        Assert.Equal((refundId, request.RequestId), (Tag(webhook, RefundsTracing.RefundId), Tag(webhook, RefundsTracing.RequestId)));
        Assert.Equal((refundId, request.RequestId), (Tag(apply, RefundsTracing.RefundId), Tag(apply, RefundsTracing.RequestId)));
        Assert.Equal("refund.succeeded", Tag(webhook, RefundsTracing.EventType));

        foreach (var span in new[] { process, create, webhook, apply })
        {
            foreach (var (key, value) in span.TagObjects)
            {
                var text = value?.ToString() ?? "";
                Assert.DoesNotContain("signature", key, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain("authorization", key, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain(app.Simulator.ApiKey, text, StringComparison.Ordinal);
                Assert.DoesNotContain("Bearer", text, StringComparison.Ordinal);
                Assert.DoesNotContain("PRIVATE KEY", text, StringComparison.Ordinal);
                Assert.False(PemBodyLines(app.Simulator.MerchantPrivateKeyPem).Any(line => text.Contains(line, StringComparison.Ordinal)), $"{key} holds a line of the private key");
            }
        }
    }

    [Fact]
    public async Task A_refund_submitted_over_http_is_one_trace_from_the_submit_through_the_queue_to_the_pingpp_create_and_ledger_write()
    {
        var spans = new SpanList();
        await using var app = await RefundAppHarness.StartAsync(
            configureServices: (services, _) => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
        var order = await app.Sim.SeedOrderAsync(500);
        var requestId = "rr_http_trace_" + Guid.NewGuid().ToString("N");
        using var submit = new HttpRequestMessage(HttpMethod.Post, $"/api/orders/{order.Id}/refunds")
        {
            Content = new StringContent($$"""{"description":"traced","charge":"{{order.ChargeIds[0]}}","charge_amount":200}""", Encoding.UTF8, "application/json"),
        };
        submit.Headers.Add(RefundRequestFields.IdempotencyKeyHeader, requestId);

        using var answer = await app.Client.SendAsync(submit);
        Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
        await app.WaitForStateAsync(requestId, RefundRequestState.Submitted);

        var submitted = await spans.WaitForAsync(s => s.OperationName == "refund submit" && Tag(s, RefundsTracing.RequestId) == requestId);
        var enqueue = await spans.WaitForAsync(s => s.OperationName == "refund enqueue" && Tag(s, RefundsTracing.RequestId) == requestId);
        var process = await spans.WaitForAsync(s => s.OperationName == "refund process" && Tag(s, RefundsTracing.RequestId) == requestId);
        var create = await spans.WaitForAsync(s => s.OperationName == "pingpp create_order_refund" && Tag(s, RefundsTracing.RequestId) == requestId);
        var writes = spans.Snapshot().Where(s => s.OperationName == "ledger write" && Tag(s, RefundsTracing.RequestId) == requestId).ToList();

        // submit → enqueue (producer, in the submit) → process (consumer, its parent the enqueue) → create and writes.
        Assert.Equal((submitted.TraceId, submitted.SpanId), (enqueue.TraceId, enqueue.ParentSpanId));
        Assert.Equal(ActivityKind.Producer, enqueue.Kind);
        Assert.Equal((submitted.TraceId, enqueue.SpanId), (process.TraceId, process.ParentSpanId));
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        Assert.Equal((order.Id, requestId), (Tag(process, RefundsTracing.OrderId), Tag(process, RefundsTracing.RequestId)));
        Assert.Equal((process.TraceId, process.SpanId), (create.TraceId, create.ParentSpanId));
        Assert.Equal(["create_claimed", "record_submitted"], writes.Select(w => Tag(w, RefundsTracing.LedgerOperation)).Order(StringComparer.Ordinal));
        Assert.All(writes, w => Assert.Equal((process.TraceId, process.SpanId), (w.TraceId, w.ParentSpanId)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("\"traceparent\":\"00-not-a-trace-01\",")]
    [InlineData("\"traceparent\":42,\"tracestate\":[\"x\"],")]
    public async Task A_message_without_a_usable_traceparent_is_processed_as_before_in_a_trace_of_its_own(string? traceFields)
    {
        var spans = new SpanList();
        await using var app = await RefundAppHarness.StartAsync(
            configureServices: (services, _) => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
        var request = await app.SeededRequestAsync("rr_untraced_" + Guid.NewGuid().ToString("N"));
        var json = request.ToQueueJson();

        // A producer's own message: sent straight to the queue, no enqueue span of ours around it.
        await app.Queue.SendMessageAsync(traceFields is null ? json : "{" + traceFields + json[1..]);

        var record = await app.WaitForStateAsync(request.RequestId, RefundRequestState.Submitted);
        Assert.Single(record.RefundIds);
        var process = await spans.WaitForAsync(s => s.OperationName == "refund process" && Tag(s, RefundsTracing.RequestId) == request.RequestId);
        var create = await spans.WaitForAsync(s => s.OperationName == "pingpp create_order_refund" && Tag(s, RefundsTracing.RequestId) == request.RequestId);
        Assert.Equal((process.TraceId, process.SpanId), (create.TraceId, create.ParentSpanId));
        Assert.DoesNotContain(spans.Snapshot(), s => s.OperationName == "refund enqueue" && Tag(s, RefundsTracing.RequestId) == request.RequestId);
        Assert.Null(record.LastError);
    }

    private static string? Tag(Activity span, string key) => span.GetTagItem(key)?.ToString();

    private static IEnumerable<string> PemBodyLines(string pem)
        => pem.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => !l.StartsWith("-----", StringComparison.Ordinal));

    /// <summary>The exporter's target: spans end on many threads at once.</summary>
    private sealed class SpanList : Collection<Activity>
    {
        private readonly Lock _gate = new();

        public IReadOnlyList<Activity> Snapshot()
        {
            lock (_gate)
            {
                return [.. Items];
            }
        }

        public async Task<Activity> WaitForAsync(Func<Activity, bool> match)
            => (await Eventually.ReturnsAsync(
                () => Task.FromResult(Snapshot().FirstOrDefault(match)),
                found => found is not null,
                TimeSpan.FromSeconds(30),
                "the span",
                _ => "exported: " + string.Join(", ", Snapshot().Select(s => s.OperationName).Distinct()),
                TimeSpan.FromMilliseconds(50)))!;

        protected override void InsertItem(int index, Activity item)
        {
            lock (_gate)
            {
                base.InsertItem(index, item);
            }
        }
    }
}
