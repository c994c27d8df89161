using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Refunds.Core.Ledger;
using Refunds.Core.Refunds;

namespace Refunds.Functions.Refunds;

/// <summary>Performs refund requests from the queue (docs/refund-protocol.md). Throwing makes the host retry (host.json).</summary>
public sealed class RefundRequestQueueFunction(RefundProcessor processor)
{
    [Function("ProcessRefundRequest")]
    public async Task Run([QueueTrigger("%RefundRequestsQueue%")] QueueMessage message, CancellationToken cancellationToken)
    {
        using var actor = RequestActor.Begin(RequestActor.Function("ProcessRefundRequest"));
        await processor.ProcessAsync(message.Body.ToMemory(), message.MessageId, message.DequeueCount, cancellationToken);
    }
}
