using Azure.Data.Tables;
using Refunds.Core.Pingpp;

namespace Refunds.Functions.Tests.Webhooks;

public sealed class StorageOutageTests
{
    [Fact]
    public async Task Storage_unavailable_answers_500_without_details_and_the_redelivery_succeeds()
    {
        using var signer = new TestWebhookSigner();
        var tables = WebhookTables.Unique();
        var eventId = TestEvents.NewId("evt_");
        var refundId = TestEvents.NewId("re_");
        var body = TestEvents.Bytes(TestEvents.RefundSucceeded(eventId, refundId));
        var signature = signer.Sign(body);

        // First delivery: the app's tables point at a closed port (no retries, so the outage shows at once).
        var closed = new TableServiceClient(TestStorage.Unreachable, new TableClientOptions { Retry = { MaxRetries = 0 } });
        Delivery during;
        await using (var down = await WebhookHost.StartAsync([signer.PublicKeyPem], tables: tables, storage: closed))
        {
            during = await down.PostAsync(body, signature);
        }

        Assert.Equal(500, during.Status);
        Assert.True(during.ReachedFunction);
        Assert.DoesNotContain("Exception", during.Body);
        Assert.DoesNotContain("127.0.0.1", during.Body);
        Assert.DoesNotContain("   at ", during.Body);

        // Ping++ redelivers later, when storage is back: same tables, now on Azurite.
        await using var up = await WebhookHost.StartAsync([signer.PublicKeyPem], tables: tables);
        try
        {
            Assert.Null(await up.Store.GetAsync(eventId, CancellationToken.None));

            var retry = await up.PostAsync(body, signature);

            Assert.Equal(200, retry.Status);
            var stored = await up.Store.GetAsync(eventId, CancellationToken.None);
            Assert.NotNull(stored);
            Assert.Equal(body, stored.Body.ToArray());
            Assert.True(stored.Applied);
            Assert.Equal(PingppRefundStatus.Succeeded, (await up.Ledger.GetRefundAsync(refundId, CancellationToken.None))?.Status);
        }
        finally
        {
            await DeleteTablesAsync(tables);
        }
    }

    private static async Task DeleteTablesAsync(WebhookTables tables)
    {
        var service = new TableServiceClient(TestStorage.ConnectionString);
        foreach (var name in new[] { tables.Events, tables.Ledger, tables.Index })
        {
            try
            {
                await service.DeleteTableAsync(name);
            }
            catch (Azure.RequestFailedException)
            {
            }
        }
    }
}
