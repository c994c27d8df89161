using System.Text.Json;
using System.Text.Json.Nodes;
using Refunds.Core.Configuration;

namespace Refunds.Functions.Tests.Webhooks;

/// <summary>
/// A signed event is applied only when it belongs to this deployment: the mode of the app's secret key, and the
/// Ping++ app id when one is configured. Anything else is stored as refused, answered 200, never applied.
/// </summary>
public sealed class EventModeTests
{
    private const string OurApp = "app_ourOwnApp00000001";

    private static async Task<WebhookHost> StartAsync(TestWebhookSigner signer, string? appId = null) =>
        await WebhookHost.StartAsync(
            [signer.PublicKeyPem],
            settings: appId is null ? null : new Dictionary<string, string?> { [TestPingppSettings.Key(SettingNames.PingppAppId)] = appId });

    [Fact]
    public async Task A_signed_live_event_reaching_a_test_mode_app_is_stored_as_refused_and_never_applied()
    {
        using var signer = new TestWebhookSigner();
        await using var host = await StartAsync(signer);
        var eventId = TestEvents.NewId("evt_");
        var refundId = TestEvents.NewId("re_");
        var body = TestEvents.Bytes(TestEvents.RefundSucceeded(eventId, refundId, livemode: true));

        var first = await host.PostAsync(body, signer.Sign(body));
        var again = await host.PostAsync(body, signer.Sign(body));

        foreach (var delivery in new[] { first, again })
        {
            Assert.Equal(200, delivery.Status);
            var answer = JsonDocument.Parse(delivery.Body).RootElement;
            Assert.Equal("refused", answer.GetProperty("outcome").GetString());
            Assert.Contains("livemode true", answer.GetProperty("reason").GetString(), StringComparison.Ordinal);
        }

        var stored = await host.Store.GetAsync(eventId, CancellationToken.None);
        Assert.NotNull(stored);
        Assert.False(stored.Applied);
        Assert.Contains("test key", stored.RefusedReason, StringComparison.Ordinal);
        Assert.Null(await host.Ledger.GetRefundAsync(refundId, CancellationToken.None));
        Assert.Equal(0, host.AppLedger.RefundChanges);
    }

    [Fact]
    public async Task The_same_event_in_test_mode_is_applied_by_a_test_mode_app()
    {
        using var signer = new TestWebhookSigner();
        await using var host = await StartAsync(signer);
        var eventId = TestEvents.NewId("evt_");
        var refundId = TestEvents.NewId("re_");
        var body = TestEvents.Bytes(TestEvents.RefundSucceeded(eventId, refundId, livemode: false));

        var delivery = await host.PostAsync(body, signer.Sign(body));

        Assert.Equal(200, delivery.Status);
        Assert.Equal("applied", JsonDocument.Parse(delivery.Body).RootElement.GetProperty("outcome").GetString());
        Assert.NotNull(await host.Ledger.GetRefundAsync(refundId, CancellationToken.None));
        Assert.Null((await host.Store.GetAsync(eventId, CancellationToken.None))!.RefusedReason);
    }

    [Fact]
    public async Task While_the_secret_key_is_an_unresolved_key_vault_reference_events_are_stored_and_retried_never_applied()
    {
        using var signer = new TestWebhookSigner();
        var tables = WebhookTables.Unique();
        var eventId = TestEvents.NewId("evt_");
        var refundId = TestEvents.NewId("re_");
        var body = TestEvents.Bytes(TestEvents.RefundSucceeded(eventId, refundId, livemode: true));
        var unresolved = new Dictionary<string, string?>
        {
            [TestPingppSettings.Key(SettingNames.PingppApiKey)] = "@Microsoft.KeyVault(SecretUri=https://kv-abc123.vault.azure.net/secrets/pingpp-api-key)",
        };

        await using (var host = await WebhookHost.StartAsync([signer.PublicKeyPem], tables: tables, settings: unresolved))
        {
            var delivery = await host.PostAsync(body, signer.Sign(body));

            // Neither applied (a live event might be a test one, or the reverse) nor refused: Ping++ redelivers.
            Assert.Equal(500, delivery.Status);
            Assert.Equal("retry_later", JsonDocument.Parse(delivery.Body).RootElement.GetProperty("outcome").GetString());
            var stored = await host.Store.GetAsync(eventId, CancellationToken.None);
            Assert.NotNull(stored);
            Assert.False(stored.Applied);
            Assert.Null(stored.RefusedReason);
            Assert.Null(await host.Ledger.GetRefundAsync(refundId, CancellationToken.None));
        }

        // The key resolves (a test key): the redelivery finds the stored copy and decides on the mode it can now check.
        await using (var host = await WebhookHost.StartAsync([signer.PublicKeyPem], tables: tables))
        {
            var redelivery = await host.PostAsync(body, signer.Sign(body));

            Assert.Equal(200, redelivery.Status);
            Assert.Equal("refused", JsonDocument.Parse(redelivery.Body).RootElement.GetProperty("outcome").GetString());
            Assert.Null(await host.Ledger.GetRefundAsync(refundId, CancellationToken.None));
        }
    }

    [Theory]
    [InlineData("app_someoneElse000001", "refused")]
    [InlineData(OurApp, "applied")]
    public async Task An_order_event_is_applied_only_when_it_names_the_configured_app(string eventApp, string expected)
    {
        using var signer = new TestWebhookSigner();
        await using var host = await StartAsync(signer, OurApp);
        var eventId = TestEvents.NewId("evt_");
        var orderId = "20" + Random.Shared.NextInt64(10_000_000_000_000_000, 99_999_999_999_999_999);
        var order = new JsonObject
        {
            ["id"] = orderId,
            ["object"] = "order",
            ["created"] = 1700000000,
            ["livemode"] = false,
            ["status"] = "refunded",
            ["paid"] = true,
            ["refunded"] = true,
            ["app"] = eventApp,
            ["merchant_order_no"] = "m" + orderId,
            ["amount"] = 100,
            ["actual_amount"] = 100,
            ["amount_paid"] = 100,
            ["amount_refunded"] = 100,
            ["currency"] = "cny",
        };
        var body = TestEvents.Bytes(TestEvents.Event(eventId, "order.refunded", order));

        var delivery = await host.PostAsync(body, signer.Sign(body));

        Assert.Equal(200, delivery.Status);
        Assert.Equal(expected, JsonDocument.Parse(delivery.Body).RootElement.GetProperty("outcome").GetString());
        var recorded = (await host.Ledger.ListOrderAsync(orderId, CancellationToken.None)).Order;
        Assert.Equal(expected == "applied", recorded?.AmountRefunded == 100);
        var stored = await host.Store.GetAsync(eventId, CancellationToken.None);
        Assert.Equal(expected == "refused", stored!.RefusedReason?.Contains(OurApp, StringComparison.Ordinal) == true);
    }
}
