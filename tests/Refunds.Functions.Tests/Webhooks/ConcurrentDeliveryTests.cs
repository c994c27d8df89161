using Refunds.Core.Pingpp;

namespace Refunds.Functions.Tests.Webhooks;

public sealed class ConcurrentDeliveryTests
{
    [Fact]
    public async Task Fifty_concurrent_deliveries_of_one_refund_event_store_it_once_and_change_the_ledger_once()
    {
        using var signer = new TestWebhookSigner();
        await using var host = await WebhookHost.StartAsync([signer.PublicKeyPem]);
        var eventId = TestEvents.NewId("evt_");
        var refundId = TestEvents.NewId("re_");
        var body = TestEvents.Bytes(TestEvents.RefundSucceeded(eventId, refundId, amount: 250));
        var signature = signer.Sign(body);

        using var start = new SemaphoreSlim(0);
        var deliveries = Enumerable.Range(0, 50).Select(async _ =>
        {
            await start.WaitAsync();
            return await host.PostAsync(body, signature);
        }).ToList();
        start.Release(deliveries.Count);
        var answers = await Task.WhenAll(deliveries);

        Assert.All(answers, a => Assert.Equal(200, a.Status));
        Assert.Equal(1, await host.CountEventRowsAsync());
        var stored = await host.Store.GetAsync(eventId, CancellationToken.None);
        Assert.NotNull(stored);
        Assert.True(stored.Applied);
        Assert.Equal(body, stored.Body.ToArray());

        Assert.Equal(1, host.AppLedger.RefundChanges);
        var refund = await host.Ledger.GetRefundAsync(refundId, CancellationToken.None);
        Assert.NotNull(refund);
        Assert.Equal(PingppRefundStatus.Succeeded, refund.Status);
        Assert.Equal(250, refund.Amount);
        Assert.True(refund.External, "no request of ours carries this refund");
    }
}
