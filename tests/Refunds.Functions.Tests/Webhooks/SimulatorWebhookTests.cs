using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pingpp.Simulator;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Signing;

namespace Refunds.Functions.Tests.Webhooks;

/// <summary>
/// The simulator's signed webhooks reach the function and verify: the simulator (its own PEM and JSON code) and our
/// verifier agree on the signature, the header and the bytes.
/// </summary>
public sealed class SimulatorWebhookTests
{
    [Fact]
    public async Task A_refund_made_through_our_client_and_settled_by_the_simulator_reaches_the_ledger_through_its_signed_webhook()
    {
        // Ping++'s webhook key pair: the simulator signs with the private half, the function trusts the public half.
        using var pingppKey = new TestWebhookSigner();
        await using var host = await WebhookHost.StartAsync([pingppKey.PublicKeyPem]);
        var simulator = SimulatorApp.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"], o =>
        {
            o.ApiKey = TestPingppSettings.ApiKey;
            o.MerchantPublicKey = TestPingppSettings.MerchantPublicKeyPem;
            o.PingppPrivateKey = pingppKey.PrivateKeyPem;
            o.WebhookUrl = host.WebhookUrl.ToString();
            o.SettleDelay = TimeSpan.FromHours(1); // settled explicitly below
            o.WorkerInterval = TimeSpan.FromMilliseconds(20);
            o.WebhookRetryScale = 0.001;
        });
        await simulator.StartAsync();
        await using var _ = simulator;
        var simulatorUrl = simulator.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        using var admin = new HttpClient { BaseAddress = new Uri(simulatorUrl) };
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var client = new PingppClient(
            http,
            PemRequestSigner.FromPem(TestPingppSettings.MerchantPrivateKeyPath),
            Options.Create(new PingppClientOptions { ApiBase = simulatorUrl.TrimEnd('/'), ApiKey = TestPingppSettings.ApiKey }),
            TimeProvider.System,
            NullLogger<PingppClient>.Instance);

        using var seeded = await admin.PostAsJsonAsync("/_sim/orders", new { amount = 1000, charges = new[] { new { amount = 1000, channel = "alipay" } } });
        seeded.EnsureSuccessStatusCode();
        var order = JsonNode.Parse(await seeded.Content.ReadAsStringAsync())!;
        var orderId = order["id"]!.GetValue<string>();
        var chargeId = order["charges"]!["data"]![0]!["id"]!.GetValue<string>();
        var requestId = "rr_" + Guid.NewGuid().ToString("N");

        var created = await client.CreateOrderRefundAsync(orderId, new CreateOrderRefundRequest
        {
            Description = "模拟退款",
            Charge = chargeId,
            ChargeAmount = 300,
            Metadata = new Dictionary<string, string> { [PingppMetadata.RequestId] = requestId },
        });
        var refundId = Assert.Single(created.Data).Id;
        (await admin.PostAsync("/_sim/settle", null)).EnsureSuccessStatusCode();

        var refund = await WaitForAsync(() => host.Ledger.GetRefundAsync(refundId, CancellationToken.None), r => r?.Status == PingppRefundStatus.Succeeded);

        Assert.Equal(300, refund!.Amount);
        Assert.Equal(requestId, refund.RequestId);
        // It carries our request id, so the ledger does not call it external even though no request record exists.
        Assert.False(refund.External);

        // The simulator saw a 2xx for its refund.succeeded event, and we stored exactly what it sent.
        var simEvent = await WaitForAsync(
            async () => (await admin.GetFromJsonAsync<JsonObject>("/_sim/events"))!["data"]!.AsArray()
                .FirstOrDefault(e => e!["type"]!.GetValue<string>() == "refund.succeeded" && e["object_id"]!.GetValue<string>() == refundId),
            e => e?["attempts"]!.AsArray().Any(a => a!["status_code"]?.GetValue<int>() == 200) == true);
        var stored = await host.Store.GetAsync(simEvent!["id"]!.GetValue<string>(), CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal(refundId, stored.RefundId);
        Assert.Equal(requestId, stored.RequestId);
        Assert.True(JsonNode.DeepEquals(simEvent["body"], JsonNode.Parse(stored.Body.Span)));
        using var publicKey = PemKey.LoadRsa(pingppKey.PublicKeyPem, "test", requirePrivate: false);
        Assert.True(publicKey.VerifyData(stored.Body.Span, Convert.FromBase64String(stored.SignatureHeader!), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Equal(1, host.AppLedger.RefundChanges);

        // A refund made in the Ping++ dashboard (no metadata) arrives the same way and is recorded as external.
        using var dashboard = await admin.PostAsJsonAsync($"/_sim/orders/{orderId}/refunds", new { charge = chargeId, amount = 200 });
        dashboard.EnsureSuccessStatusCode();
        var dashboardRefundId = JsonNode.Parse(await dashboard.Content.ReadAsStringAsync())!["data"]![0]!["id"]!.GetValue<string>();
        (await admin.PostAsync("/_sim/settle", null)).EnsureSuccessStatusCode();

        var external = await WaitForAsync(() => host.Ledger.GetRefundAsync(dashboardRefundId, CancellationToken.None), r => r?.Status == PingppRefundStatus.Succeeded);

        Assert.Equal(200, external!.Amount);
        Assert.Null(external.RequestId);
        Assert.True(external.External);
    }

    /// <summary>Polls until <paramref name="done"/> holds; the bound is a hang guard, not a timing assertion.</summary>
    private static Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done)
        => Eventually.ReturnsAsync(read, done, TimeSpan.FromMinutes(1), "the simulator's webhook in the ledger", interval: TimeSpan.FromMilliseconds(100));
}
