using System.Text;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Refunds.Core.Configuration;
using Refunds.Core.Diagnostics;

namespace Refunds.Core.Refunds;

/// <summary>
/// Sends refund requests to the <c>refund-requests</c> queue as plain canonical JSON (host.json reads messages with
/// <c>messageEncoding: none</c>; the parser also accepts base64 from other producers). Used by the HTTP API, the
/// dead-letter requeue and reconciliation, which hands requests back with their own request id. In the app
/// (<see cref="ForApp"/>) each send is a producer span whose W3C context rides in the message
/// (<see cref="MessageTraceContext"/>), so the processing span continues the trace of the submit, requeue or anomaly
/// that enqueued it; other senders (the CLI) send the canonical JSON alone.
/// </summary>
public class RefundRequestQueue
{
    private readonly QueueClient _queue;
    private readonly bool _carryTraceContext;
    private int _created;

    protected RefundRequestQueue() => _queue = null!;

    /// <param name="carryTraceContext">Send each message in a producer span and carry its trace context in the message.</param>
    public RefundRequestQueue(QueueServiceClient queues, string queueName = StorageNames.DefaultRefundRequestsQueue, bool carryTraceContext = false)
    {
        ArgumentNullException.ThrowIfNull(queues);
        _queue = queues.GetQueueClient(queueName);
        _carryTraceContext = carryTraceContext;
    }

    /// <summary>The app's queue: the <c>RefundRequestsQueue</c> setting (else the default name), trace context carried.</summary>
    public static RefundRequestQueue ForApp(QueueServiceClient queues, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new RefundRequestQueue(queues,
            configuration[SettingNames.RefundRequestsQueue] is { Length: > 0 } name ? name : StorageNames.DefaultRefundRequestsQueue,
            carryTraceContext: true);
    }

    public string QueueName => _queue.Name;

    public virtual async Task EnqueueAsync(RefundRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Volatile.Read(ref _created) == 0)
        {
            await _queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _created, 1);
        }

        if (!_carryTraceContext)
        {
            await _queue.SendMessageAsync(request.ToQueueJson(), cancellationToken).ConfigureAwait(false);
            return;
        }

        using var activity = RefundsTracing.StartEnqueue(_queue.Name, request.OrderId, request.RequestId);
        var message = QueueMessage(request, MessageTraceContext.From(activity ?? System.Diagnostics.Activity.Current));
        await _queue.SendMessageAsync(Encoding.UTF8.GetString(message), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The message with its trace context, unless that would take it past the re-enqueue limit (then without: the trace is optional).</summary>
    internal static byte[] QueueMessage(RefundRequest request, MessageTraceContext? trace)
    {
        var traced = request.ToQueueJsonUtf8(trace);
        return trace is null || traced.Length <= RefundRequestRules.MaxCanonicalJsonBytes ? traced : request.ToQueueJsonUtf8();
    }
}
