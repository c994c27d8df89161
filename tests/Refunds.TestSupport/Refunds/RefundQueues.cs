using Azure.Storage.Queues;
using Refunds.Core.Refunds;
using Refunds.IntegrationTests.Support;

namespace Refunds.TestSupport;

/// <summary>What the app harnesses (<c>RefundAppHarness</c>, <c>RefundSystem</c>) share about refund requests and their queues.</summary>
public static class RefundQueues
{
    /// <summary>A request for the whole of a freshly seeded order (one charge), with the given id.</summary>
    public static async Task<RefundRequest> SeededRequestAsync(SimulatorAdmin sim, string requestId, long amount, long? chargeAmount = null)
    {
        ArgumentNullException.ThrowIfNull(sim);
        var order = await sim.SeedOrderAsync(amount);
        return new RefundRequest
        {
            RequestId = requestId,
            OrderId = order.Id,
            Description = "退款 " + requestId,
            Charge = order.ChargeIds[0],
            ChargeAmount = chargeAmount ?? amount,
        };
    }

    /// <summary>Messages in the queue (visible or not); 0 when it does not exist.</summary>
    public static async Task<int> CountAsync(QueueClient queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return await queue.ExistsAsync() ? (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount : 0;
    }

    /// <summary>Waits until neither the queue nor its poison queue holds a message (visible or not).</summary>
    public static Task DrainedAsync(QueueClient queue, QueueClient poison, TimeSpan timeout, TimeSpan? interval = null)
        => Eventually.ReturnsAsync(
            async () => (Queued: await CountAsync(queue), Poisoned: await CountAsync(poison)),
            counts => counts is (0, 0),
            timeout,
            "queues drained",
            counts => $"{counts.Queued} in {queue.Name}, {counts.Poisoned} in poison",
            interval);
}
