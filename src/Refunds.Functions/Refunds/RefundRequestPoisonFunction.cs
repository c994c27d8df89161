using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Refunds.Core.Ledger;
using Refunds.Core.Refunds;

namespace Refunds.Functions.Refunds;

/// <summary>Records requests whose messages exhausted their attempts as dead-lettered (with the last error).</summary>
public sealed class RefundRequestPoisonFunction(DeadLetterRecorder recorder)
{
    [Function("RefundRequestPoison")]
    public async Task Run([QueueTrigger("%RefundRequestsQueue%-poison")] QueueMessage message, CancellationToken cancellationToken)
    {
        using var actor = RequestActor.Begin(RequestActor.Function("RefundRequestPoison"));
        await recorder.RecordAsync(message.Body.ToMemory(), message.MessageId, cancellationToken);
    }
}
