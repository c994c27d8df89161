using System.Security.Cryptography;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Pingpp.Simulator.Faults;
using Refunds.Core.UnitTests.Signing;

namespace Refunds.IntegrationTests.RefundRequests;

using Refunds.Core.Ledger;
using Refunds.Core.Signing;

/// <summary>
/// The queue function in the dev host signing through <see cref="KeyVaultRequestSigner"/> (production wiring:
/// <c>Pingpp__SigningKeyId</c> set, no PEM) over a fake Key Vault transport that signs with the simulator's merchant key.
/// </summary>
public sealed class KeyVaultSignedProcessingTests
{
    private const string KeyId = "https://refunds-kv.vault.azure.net/keys/pingpp-signing/0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task Every_pingpp_call_including_lookups_after_a_lost_answer_costs_exactly_one_key_vault_sign()
    {
        FakeKeyVault? vault = null;
        var credential = new CountingCredential();
        await using var app = await RefundAppHarness.StartAsync(
            webhooks: true,
            settings: new Dictionary<string, string?> { ["Pingpp:SigningKeyId"] = KeyId, ["Pingpp:SigningPrivateKey"] = null },
            configureServices: (services, simulator) =>
            {
                var merchantKey = RSA.Create();
                merchantKey.ImportFromPem(simulator.MerchantPrivateKeyPem);
                vault = new FakeKeyVault(merchantKey);
                var options = new KeyVaultSignerOptions { Transport = new HttpClientTransport(new HttpClient(vault)) };
                options.Retry.Delay = TimeSpan.FromMilliseconds(10);
                services.AddSingleton<TokenCredential>(credential);
                services.AddSingleton(options);
            });
        using var _ = vault;
        Assert.IsType<KeyVaultRequestSigner>(app.Services.GetRequiredService<IRequestSigner>());

        var requests = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => app.SeededRequestAsync($"kv-{i}-{Guid.NewGuid():N}", 200 + i)));
        var lost = requests[0];
        await app.Sim.SetFaultsAsync(new Dictionary<string, FaultSpec> { [FaultInjector.HangAfterCreate] = new() { Next = 1, OrderId = lost.OrderId, HangMs = 5000 } });
        await Task.WhenAll(requests.Select(r => app.RequestQueue.EnqueueAsync(r, CancellationToken.None)));
        foreach (var request in requests)
        {
            await app.WaitForStateAsync(request.RequestId, RefundRequestState.Submitted);
        }

        await app.WaitForQueuesDrainedAsync();
        Assert.Equal(requests.Length, await app.Sim.SettleAsync());
        var records = new List<RefundRequestRecord>();
        foreach (var request in requests)
        {
            records.Add(await app.WaitForStateAsync(request.RequestId, RefundRequestState.Succeeded));
        }

        var calls = await app.Sim.GetApiCallsAsync();
        Assert.Equal(1, (await app.Sim.GetFaultsAsync())[FaultInjector.HangAfterCreate].Triggered);
        Assert.Equal(calls.Count, vault!.Signatures);
        // One create per request (the lost one was adopted by a lookup, not created again), and the lookups were signed too.
        Assert.Equal(requests.Length, calls.Count(c => c.Method == "POST"));
        Assert.Contains(calls, c => c.Method == "GET" && c.Path == $"/v1/orders/{lost.OrderId}/order_refunds");
        Assert.True(records[0].Attempt >= 2, "the lost create was found again by a later attempt");

        var simRefunds = await app.Sim.GetRefundsAsync();
        Assert.Equal(requests.Length, simRefunds.Count);
        for (var i = 0; i < requests.Length; i++)
        {
            var refund = Assert.Single(simRefunds, r => r.OrderId == requests[i].OrderId);
            Assert.Equal((requests[i].RequestId, "succeeded"), (refund.RequestId, refund.Status));
            Assert.Equal([refund.RefundId], records[i].RefundIds);
        }
    }
}
