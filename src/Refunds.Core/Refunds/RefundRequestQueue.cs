using Azure.Storage.Queues;
using Refunds.Core.Configuration;

namespace Refunds.Core.Refunds;

/// <summary>
/// Sends refund requests to the <c>refund-requests</c> queue as plain canonical JSON (host.json reads messages with
/// <c>messageEncoding: none</c>; the parser also accepts base64 from other producers). Used by the HTTP API, the
/// dead-letter requeue and reconciliation, which hands requests back with their own request id.
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

        await _queue.SendMessageAsync(request.ToQueueJson(), cancellationToken).ConfigureAwait(false);
    }
}
