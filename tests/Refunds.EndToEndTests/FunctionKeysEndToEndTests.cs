using System.Net;
using Refunds.Core.Ledger;
using Refunds.DevHost.Keys;
using Refunds.EndToEndTests.Support;
using Refunds.Functions.Tests;
using Xunit.Abstractions;

namespace Refunds.EndToEndTests;

/// <summary>The refund API with keys enforced, as on Azure: what a caller without, with a wrong, or with each kind of key gets.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class FunctionKeysEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_refund_submitted_with_a_function_key_is_processed_and_read_with_a_host_key_while_no_key_or_a_wrong_one_gets_401()
    {
        await using var system = await RefundSystem.StartAsync(new RefundSystemOptions { StorageConnectionString = TestStorage.ConnectionString });
        output.WriteLine($"host: {system.Host.Description}");
        var request = await system.SeededRequestAsync("keys-" + Guid.NewGuid().ToString("N"), 700);
        using var none = system.CreateClient(0, key: null);
        using var wrong = system.CreateClient(0, SecretsFolder.NewKey());
        using var submitKey = system.CreateClient(0, system.Keys.For("SubmitRefund")[SecretsFolder.DefaultKeyName]);
        using var hostKey = system.CreateClient(0, system.Keys.HostKeys[SecretsFolder.DefaultKeyName]);

        foreach (var client in new[] { none, wrong })
        {
            var refused = await RefundApi.SubmitAsync(client, request);
            Assert.Equal((HttpStatusCode.Unauthorized, null), (refused.Status, refused.Json));
            using var read = await client.GetAsync($"/api/orders/{request.OrderId}/refunds");
            Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
            Assert.Equal(string.Empty, await read.Content.ReadAsStringAsync());
        }

        Assert.Null(await system.Ledger.GetRequestAsync(request.RequestId, CancellationToken.None));

        var accepted = await RefundApi.SubmitAsync(submitKey, request);
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        var done = await system.WaitForAllAsync([request.RequestId], r => r.State is RefundRequestState.Submitted or RefundRequestState.Succeeded, TimeSpan.FromSeconds(60));
        Assert.Single(done[request.RequestId].RefundIds);

        // SubmitRefund's own key is not a key of the read functions; the host key opens them all.
        using (var foreign = await submitKey.GetAsync($"/api/orders/{request.OrderId}/refunds"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, foreign.StatusCode);
        }

        using var view = await hostKey.GetAsync($"/api/orders/{request.OrderId}/refunds/{request.RequestId}");
        Assert.Equal(HttpStatusCode.OK, view.StatusCode);
        Assert.Contains(request.RequestId, await view.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Manage_routes_refuse_function_and_host_keys_and_take_the_master_key_while_health_and_webhooks_need_none()
    {
        await using var system = await RefundSystem.StartAsync(new RefundSystemOptions { StorageConnectionString = TestStorage.ConnectionString });
        output.WriteLine($"host: {system.Host.Description}");
        const string path = "/api/manage/refund-requests/requeue-dead-lettered";

        foreach (var key in new[] { system.Keys.For("SubmitRefund")[SecretsFolder.DefaultKeyName], system.Keys.HostKeys[SecretsFolder.DefaultKeyName], SecretsFolder.NewKey(), null })
        {
            using var client = system.CreateClient(0, key);
            using var refused = await client.PostAsync(path, null);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal(string.Empty, await refused.Content.ReadAsStringAsync());
        }

        using var master = system.CreateClient(0, system.Keys.MasterKey);
        using var allowed = await master.PostAsync(path, null);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);

        using var anonymous = system.CreateClient(0, key: null);
        using var health = await anonymous.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        // The simulator delivers its webhooks without any key: a settled refund reaches the ledger through them.
        var request = await system.SeededRequestAsync("keys-wh-" + Guid.NewGuid().ToString("N"), 500);
        Assert.Equal(HttpStatusCode.Accepted, (await RefundApi.SubmitAsync(system.Client, request)).Status);
        await system.WaitForAllAsync([request.RequestId], r => r.State == RefundRequestState.Succeeded, TimeSpan.FromSeconds(60));
    }
}
