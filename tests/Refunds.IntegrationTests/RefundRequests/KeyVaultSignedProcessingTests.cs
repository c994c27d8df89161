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

    /// <summary>The dev host signing through a fake Key Vault that signs with the simulator's merchant key.</summary>
    private static async Task<(RefundAppHarness App, FakeKeyVault Vault)> StartWithKeyVaultAsync(bool webhooks)
    {
        FakeKeyVault? vault = null;
        var app = await RefundAppHarness.StartAsync(
            webhooks: webhooks,
            settings: new Dictionary<string, string?> { ["Pingpp:SigningKeyId"] = KeyId, ["Pingpp:SigningPrivateKey"] = null },
            configureServices: (services, simulator) =>
            {
                var merchantKey = RSA.Create();
                merchantKey.ImportFromPem(simulator.MerchantPrivateKeyPem);
                vault = new FakeKeyVault(merchantKey);
                var options = new KeyVaultSignerOptions { Transport = new HttpClientTransport(new HttpClient(vault)) };
                options.Retry.Delay = TimeSpan.FromMilliseconds(10);
                services.AddSingleton<TokenCredential>(new CountingCredential());
                services.AddSingleton(options);
            });
        return (app, vault!);
    }

    [Fact]
    public async Task A_key_vault_sign_slower_than_the_lease_is_cut_off_and_a_duplicate_delivery_makes_the_only_refund()
    {
        var (app, vault) = await StartWithKeyVaultAsync(webhooks: false);
        await using var _ = app;
        using var __ = vault;
        var request = await app.SeededRequestAsync("slowkv-" + Guid.NewGuid().ToString("N"));
        // The first sign takes longer than the whole lease (6 s): unbounded, the first delivery would send after a
        // duplicate delivery had claimed the expired lease, found nothing and created.
        vault.SignDelays.Enqueue(TimeSpan.FromSeconds(9));

        await app.RequestQueue.EnqueueAsync(request, CancellationToken.None);
        await app.RequestQueue.EnqueueAsync(request, CancellationToken.None);
        var record = await app.WaitForStateAsync(request.RequestId, RefundRequestState.Submitted);
        await app.WaitForQueuesDrainedAsync();
        await Task.Delay(TimeSpan.FromSeconds(9) - RefundAppHarness.SignTimeout);

        var refund = Assert.Single(await app.Sim.GetRefundsAsync(request.OrderId));
        Assert.Equal([refund.RefundId], record.RefundIds);
        Assert.Equal(1, (await app.Sim.GetApiCallsAsync()).Count(c => c.Method == "POST"));
        Assert.True(record.Attempt >= 2, "the slow sign was given up (not sent) and a later claim created");
    }

    [Fact]
    public async Task A_key_vault_failure_shows_a_stable_code_in_last_error_never_the_key_id_and_the_request_still_completes()
    {
        var (app, vault) = await StartWithKeyVaultAsync(webhooks: false);
        await using var _ = app;
        using var __ = vault;
        var request = await app.SeededRequestAsync("kvdown-" + Guid.NewGuid().ToString("N"));
        for (var i = 0; i < 8; i++)
        {
            vault.Failures.Enqueue((System.Net.HttpStatusCode.InternalServerError, null));
        }

        await app.RequestQueue.EnqueueAsync(request, CancellationToken.None);
        var failedOnce = await app.WaitForRequestAsync(request.RequestId, r => r.LastError is not null);
        var view = await app.GetJsonAsync($"/api/orders/{request.OrderId}/refunds/{request.RequestId}");
        var done = await app.WaitForStateAsync(request.RequestId, RefundRequestState.Submitted, TimeSpan.FromSeconds(90));

        Assert.StartsWith("create: not_sent", failedOnce.LastError, StringComparison.Ordinal);
        var shown = view!["last_error"]?.GetValue<string>() ?? "";
        Assert.DoesNotContain("vault.azure.net", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("pingpp-signing", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", shown, StringComparison.Ordinal);
        Assert.Single(done.RefundIds);
    }

    [Fact]
    public async Task A_create_that_slow_signs_push_past_the_end_of_the_lease_is_not_sent_and_a_later_claim_creates_once()
    {
        var (app, vault) = await StartWithKeyVaultAsync(webhooks: false);
        await using var _ = app;
        using var __ = vault;
        var request = await app.SeededRequestAsync("latekv-" + Guid.NewGuid().ToString("N"));
        // The first create fails with a 5xx (not performed, outcome unknown to us); the next claim (lease 6 s) lists
        // first and then creates, each signed just within the sign bound (2.5 s): after both, the create could no
        // longer be answered (1 s) before the lease ends (less its 0.3 s margin).
        await app.Sim.SetFaultsAsync(new Dictionary<string, FaultSpec> { [FaultInjector.ErrorBeforeCreate] = new() { Next = 1 } });
        vault.SignDelays.Enqueue(TimeSpan.Zero);
        vault.SignDelays.Enqueue(TimeSpan.FromSeconds(2.45));
        vault.SignDelays.Enqueue(TimeSpan.FromSeconds(2.45));

        await app.RequestQueue.EnqueueAsync(request, CancellationToken.None);
        var record = await app.WaitForStateAsync(request.RequestId, RefundRequestState.Submitted);
        await app.WaitForQueuesDrainedAsync();

        var refund = Assert.Single(await app.Sim.GetRefundsAsync(request.OrderId));
        Assert.Equal([refund.RefundId], record.RefundIds);
        Assert.Equal(2, (await app.Sim.GetApiCallsAsync()).Count(c => c.Method == "POST"));
        Assert.True(record.Attempt >= 3, $"the second claim's late create was not sent (attempt {record.Attempt})");
        Assert.False(record.Uncertain);
    }

    [Fact]
    public async Task Every_pingpp_call_including_lookups_after_a_lost_answer_costs_exactly_one_key_vault_sign()
    {
        var (app, vault) = await StartWithKeyVaultAsync(webhooks: true);
        await using var _ = app;
        using var __ = vault;
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
        Assert.Equal(calls.Count, vault.Signatures);
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
