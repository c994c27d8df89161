using Pingpp.Simulator.Faults;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;

namespace Refunds.IntegrationTests.RefundRequests;

/// <summary>
/// Answers Ping++ really gives (issue 21, point 11), made by the simulator's switches and handled by the queue
/// function in the dev host on Azurite: synchronous refunds, a channel URL to confirm at, PHP's empty arrays, and
/// <c>app</c> expanded as an object.
/// </summary>
public sealed class PingppAnswerShapesTests
{
    [Fact]
    public async Task A_create_answered_already_succeeded_ends_the_request_succeeded_without_waiting_for_a_webhook()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var request = await app.SeededRequestAsync("sync-ok-" + Guid.NewGuid().ToString("N"));
        await app.Sim.SetFaultsAsync(new Dictionary<string, FaultSpec> { [FaultInjector.SyncRefund] = new() { Next = 1 } });

        await app.RequestQueue.EnqueueAsync(request, CancellationToken.None);
        var record = await app.WaitForStateAsync(request.RequestId, RefundRequestState.Succeeded);
        await app.WaitForQueuesDrainedAsync();

        var refund = Assert.Single(await app.Sim.GetRefundsAsync(request.OrderId));
        Assert.Equal("succeeded", refund.Status);
        Assert.Equal([refund.RefundId], record.RefundIds);
        Assert.Equal(PingppRefundStatus.Succeeded, (await app.Ledger.GetRefundAsync(refund.RefundId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task A_create_answered_already_failed_ends_the_request_failed_with_the_channel_failure_code()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var request = await app.SeededRequestAsync("sync-fail-" + Guid.NewGuid().ToString("N"));
        await app.Sim.SetFaultsAsync(new Dictionary<string, FaultSpec>
        {
            [FaultInjector.SyncRefund] = new() { Next = 1, FailureCode = "REFUND_BALANCE_NOT_ENOUGH", FailureMsg = "余额不足" },
        });

        await app.RequestQueue.EnqueueAsync(request, CancellationToken.None);
        var record = await app.WaitForStateAsync(request.RequestId, RefundRequestState.Failed);
        await app.WaitForQueuesDrainedAsync();

        var refund = Assert.Single(await app.Sim.GetRefundsAsync(request.OrderId));
        Assert.Equal("failed", refund.Status);
        Assert.Equal(("REFUND_BALANCE_NOT_ENOUGH", "余额不足"), (record.FailureCode, record.FailureMessage));
        var recorded = (await app.Ledger.GetRefundAsync(refund.RefundId, CancellationToken.None))!;
        Assert.Equal((PingppRefundStatus.Failed, "REFUND_BALANCE_NOT_ENOUGH"), (recorded.Status, recorded.FailureCode));
        var view = await app.GetJsonAsync($"/api/orders/{request.OrderId}/refunds/{request.RequestId}");
        Assert.Equal(("failed", "REFUND_BALANCE_NOT_ENOUGH"), (view!["status"]!.GetValue<string>(), view["failure_code"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_pending_refund_with_a_channel_url_stays_submitted_and_shows_the_url()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var request = await app.SeededRequestAsync("confirm-" + Guid.NewGuid().ToString("N"));
        await app.Sim.SetFaultsAsync(new Dictionary<string, FaultSpec> { [FaultInjector.ChannelUrl] = new() { Next = 1 } });

        await app.RequestQueue.EnqueueAsync(request, CancellationToken.None);
        var record = await app.WaitForStateAsync(request.RequestId, RefundRequestState.Submitted);
        await app.WaitForQueuesDrainedAsync();

        var refundId = Assert.Single(record.RefundIds);
        var recorded = (await app.Ledger.GetRefundAsync(refundId, CancellationToken.None))!;
        Assert.Equal(PingppRefundStatus.Pending, recorded.Status);
        Assert.StartsWith("https://mapi.alipay.com/gateway.do?", recorded.ChannelUrl, StringComparison.Ordinal);
        Assert.Null(record.FailureCode);
        var view = await app.GetJsonAsync($"/api/orders/{request.OrderId}/refunds/{refundId}");
        Assert.Equal(recorded.ChannelUrl, view!["channel_url"]!.GetValue<string>());
    }

    [Fact]
    public async Task Refund_objects_with_php_empty_metadata_are_read_as_no_metadata_and_the_request_makes_one_refund()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var request = await app.SeededRequestAsync("php-" + Guid.NewGuid().ToString("N"));
        await app.Sim.SetFaultsAsync(new Dictionary<string, FaultSpec> { [FaultInjector.PhpEmptyMetadata] = new() });

        await app.RequestQueue.EnqueueAsync(request, CancellationToken.None);
        var record = await app.WaitForStateAsync(request.RequestId, RefundRequestState.Submitted);
        await app.WaitForQueuesDrainedAsync();

        var refund = Assert.Single(await app.Sim.GetRefundsAsync(request.OrderId));
        Assert.Equal([refund.RefundId], record.RefundIds);
        Assert.True((await app.Sim.GetFaultsAsync())[FaultInjector.PhpEmptyMetadata].Triggered > 0);
        var answered = await app.Simulator.CreateClient().RetrieveOrderRefundAsync(request.OrderId, refund.RefundId);
        Assert.Equal((0, null), (answered.Metadata!.Count, answered.ChannelUrl));
    }

    [Fact]
    public async Task Orders_and_charges_with_app_expanded_as_an_object_are_read_with_the_app_id()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var order = await app.Sim.SeedOrderAsync(1000, [600, 400]);
        await app.Sim.SetFaultsAsync(new Dictionary<string, FaultSpec> { [FaultInjector.ExpandApp] = new() });

        var read = await app.Simulator.CreateClient().RetrieveOrderAsync(order.Id);

        Assert.Equal(1, (await app.Sim.GetFaultsAsync())[FaultInjector.ExpandApp].Triggered);
        Assert.Equal("app_1Gqj58ynP0mHeX1q", read.App);
        Assert.All(read.Charges!.Data, c => Assert.Equal("app_1Gqj58ynP0mHeX1q", c.App));
    }
}
