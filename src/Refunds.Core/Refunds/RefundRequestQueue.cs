using System.Text;
using Azure.Storage.Queues;
using Refunds.Core.Configuration;
using Refunds.Core.Diagnostics;

namespace Refunds.Core.Refunds;

/// <summary>
/// Sends refund requests to the <c>refund-requests</c> queue as plain canonical JSON (host.json reads messages with
/// <c>messageEncoding: none</c>; the parser also accepts base64 from other producers). Used by the HTTP API, the
/// dead-letter requeue and reconciliation, which hands requests back with their own request id. Each send is a
/// producer span whose W3C context rides in the message (<see cref="MessageTraceContext"/>), so the processing span
/// continues the trace of the submit, requeue or anomaly that enqueued it.
/// </summary>
public class RefundRequestQueue
{
    private readonly QueueClient _queue;
    private int _created;

    protected RefundRequestQueue() => _queue = null!;

    public RefundRequestQueue(QueueServiceClient queues, string queueName = StorageNames.DefaultRefundRequestsQueue)
    {
        ArgumentNullException.ThrowIfNull(queues);
        _queue = queues.GetQueueClient(queueName);
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

        using var activity = RefundsTracing.StartEnqueue(_queue.Name, request.OrderId, request.RequestId);
        await _queue.SendMessageAsync(Encoding.UTF8.GetString(QueueMessage(request, MessageTraceContext.From(activity ?? System.Diagnostics.Activity.Current))),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The message with its trace context, unless that would take it past the re-enqueue limit (then without: the trace is optional).</summary>
    internal static byte[] QueueMessage(RefundRequest request, MessageTraceContext? trace)
    {
        var traced = request.ToQueueJsonUtf8(trace);
        return trace is null || traced.Length <= RefundRequestRules.MaxCanonicalJsonBytes ? traced : request.ToQueueJsonUtf8();
    }
}
