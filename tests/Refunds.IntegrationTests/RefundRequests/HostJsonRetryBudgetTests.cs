using Refunds.DevHost;

namespace Refunds.IntegrationTests.RefundRequests;

using Refunds.Core.Refunds;

public sealed class HostJsonRetryBudgetTests
{
    /// <summary>
    /// Each grace-period wait after an unknown create outcome uses one queue attempt; the retries must span twice the
    /// default grace period, or one lost answer would dead-letter its request (docs/host-json.md).
    /// </summary>
    [Fact]
    public void Queue_retries_span_twice_the_default_create_grace_period()
    {
        var path = HostJson.Locate();
        Assert.NotNull(path);
        var queues = HostJson.Load(path).Queues;

        var span = queues.VisibilityTimeout * (queues.MaxDequeueCount - 1);

        Assert.True(span >= 2 * new RefundProcessingOptions().CreateGracePeriod, $"visibilityTimeout {queues.VisibilityTimeout} × {queues.MaxDequeueCount - 1} retries = {span}");
    }
}
