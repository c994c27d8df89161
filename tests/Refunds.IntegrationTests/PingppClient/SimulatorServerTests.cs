using Microsoft.Extensions.Options;
using Pingpp.Simulator.Faults;
using Refunds.Core.Configuration;
using Refunds.Core.Pingpp;
using Refunds.IntegrationTests.Support;

namespace Refunds.IntegrationTests.PingppClient;

/// <summary>The fixture itself: what teammates rely on when they reuse <see cref="SimulatorServer"/>.</summary>
public sealed class SimulatorServerTests
{
    [Fact]
    public async Task Each_server_is_a_separate_account_with_its_own_keys()
    {
        await using var first = await SimulatorServer.StartAsync();
        await using var second = await SimulatorServer.StartAsync();
        var order = await second.Admin.SeedOrderAsync(100);
        var firstKeyOnSecond = second.CreateClient(new Dictionary<string, string?>
        {
            [SimulatorServer.ConfigKey(SettingNames.PingppSigningPrivateKey)] = first.MerchantPrivateKeyPem,
        });
        var firstApiKeyOnSecond = second.CreateClient(new Dictionary<string, string?>
        {
            [SimulatorServer.ConfigKey(SettingNames.PingppApiKey)] = first.ApiKey,
        });

        var badSignature = await Assert.ThrowsAsync<PingppException>(() => firstKeyOnSecond.RetrieveOrderAsync(order.Id));
        var badKey = await Assert.ThrowsAsync<PingppException>(() => firstApiKeyOnSecond.RetrieveOrderAsync(order.Id));

        Assert.NotEqual(first.ApiKey, second.ApiKey);
        Assert.NotEqual(first.MerchantPublicKeyPem, second.MerchantPublicKeyPem);
        Assert.NotEqual(first.Admin.PingppPublicKeyPem, second.Admin.PingppPublicKeyPem);
        Assert.Contains("BEGIN PUBLIC KEY", second.Admin.PingppPublicKeyPem, StringComparison.Ordinal);
        Assert.Equal((401, "invalid_signature"), (badSignature.StatusCode, badSignature.ErrorCode));
        Assert.Equal((401, "invalid_api_key"), (badKey.StatusCode, badKey.ErrorCode));
        Assert.Equal(order.Id, (await second.CreateClient().RetrieveOrderAsync(order.Id)).Id);
    }

    [Fact]
    public async Task Client_settings_fail_like_app_start_when_a_setting_is_missing()
    {
        await using var sim = await SimulatorServer.StartAsync();

        var ex = Assert.Throws<OptionsValidationException>(() => sim.CreateClient(new Dictionary<string, string?>
        {
            [SimulatorServer.ConfigKey(SettingNames.PingppApiKey)] = null,
        }));

        Assert.Contains(SettingNames.PingppApiKey + " is required", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_record_the_payment_and_each_settled_refund()
    {
        await using var sim = await SimulatorServer.StartAsync();
        var order = await sim.Admin.SeedOrderAsync(1000, [600, 400]);
        var created = await sim.CreateClient().CreateOrderRefundAsync(order.Id, new CreateOrderRefundRequest
        {
            Description = "退款",
            Charge = order.ChargeIds[1],
            Metadata = new Dictionary<string, string> { [PingppMetadata.RequestId] = "rr_events" },
        });

        var beforeSettling = await sim.Admin.GetEventsAsync();
        Assert.Equal(1, await sim.Admin.SettleAsync());
        var events = await sim.Admin.GetEventsAsync();

        Assert.Equal(["order.succeeded", "charge.succeeded", "charge.succeeded"], beforeSettling.Select(e => e.Type));
        var refunded = Assert.Single(events, e => e.Type == "refund.succeeded");
        Assert.Equal(Assert.Single(created.Data).Id, refunded.ObjectId);
        Assert.Equal("rr_events", refunded.Body.GetProperty("data").GetProperty("object").GetProperty("metadata").GetProperty(PingppMetadata.RequestId).GetString());
        Assert.Equal("none", refunded.DeliveryState); // no webhook URL given
    }

    [Fact]
    public async Task Cleared_faults_stop_firing()
    {
        await using var sim = await SimulatorServer.StartAsync();
        var order = await sim.Admin.SeedOrderAsync(100);
        var client = sim.CreateClient(new Dictionary<string, string?> { [SimulatorServer.ConfigKey(SettingNames.PingppMaxReadRetries)] = "0" });
        var set = await sim.Admin.SetFaultsAsync(new { rate_limit = new { retry_after_seconds = 0 } });
        await Assert.ThrowsAsync<PingppException>(() => client.RetrieveOrderAsync(order.Id));

        await sim.Admin.ClearFaultsAsync();

        Assert.True(set.ContainsKey(FaultInjector.RateLimit));
        Assert.Empty(await sim.Admin.GetFaultsAsync());
        Assert.Equal(order.Id, (await client.RetrieveOrderAsync(order.Id)).Id);
    }
}
