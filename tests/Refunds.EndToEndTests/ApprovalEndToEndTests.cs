using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Refunds.Core.Ledger;
using Refunds.EndToEndTests.Support;
using Refunds.Functions.Tests;
using Xunit.Abstractions;

namespace Refunds.EndToEndTests;

/// <summary>
/// Approval on the local host with keys on (as on Azure): a refund above the limit waits and reaches the simulator only
/// once an operator approves with the master key; a denied one never does; the history names the operator.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ApprovalEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_large_refund_waits_until_an_operator_approves_then_one_refund_is_made_and_a_denied_one_never_reaches_pingpp()
    {
        await using var system = await RefundSystem.StartAsync(new RefundSystemOptions
        {
            StorageConnectionString = TestStorage.ConnectionString,
            Settings = new Dictionary<string, string?> { ["Approval:MaxAmountPerRequest"] = "1000", ["Approval:MaxAmountPerDay"] = "1000000" },
        });
        output.WriteLine($"host: {system.Host.Description}");
        using var master = system.CreateClient(0, system.Keys.MasterKey);
        var large = await system.SeededRequestAsync("e2e-large-" + Guid.NewGuid().ToString("N"), 5000);
        var denied = await system.SeededRequestAsync("e2e-denied-" + Guid.NewGuid().ToString("N"), 7000);

        foreach (var request in new[] { large, denied })
        {
            var submitted = await RefundApi.SubmitAsync(system.Client, request);
            Assert.Equal((HttpStatusCode.Accepted, "awaiting_approval"), (submitted.Status, submitted.Json!["status"]!.GetValue<string>()));
        }

        using (var deny = await master.PostAsJsonAsync($"/api/manage/refund-requests/{denied.RequestId}/deny", new { reason = "not ours" }))
        {
            Assert.Equal(HttpStatusCode.OK, deny.StatusCode);
        }

        Assert.Empty(await system.Sim.GetRefundsAsync(large.OrderId));
        using (var approve = await master.PostAsJsonAsync($"/api/manage/refund-requests/{large.RequestId}/approve", new { reason = "checked" }))
        {
            Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
        }

        await system.WaitForAllAsync([large.RequestId], r => r.State is RefundRequestState.Submitted or RefundRequestState.Succeeded, TimeSpan.FromSeconds(90));
        var refund = Assert.Single(await system.Sim.GetRefundsAsync(large.OrderId));
        Assert.Equal((large.RequestId, 5000L), (refund.RequestId, refund.Amount));
        Assert.Empty(await system.Sim.GetRefundsAsync(denied.OrderId));
        var view = JsonNode.Parse(await master.GetStringAsync($"/api/manage/refund-requests/{large.RequestId}"))!;
        var approval = view["history"]!.AsArray().Single(h => h!["from"]?.GetValue<string>() == "awaiting_approval")!;
        Assert.Equal(("received", "operator:key:master", "checked"), (approval["to"]!.GetValue<string>(), approval["actor"]!.GetValue<string>(), approval["reason"]!.GetValue<string>()));
        var deniedView = JsonNode.Parse(await master.GetStringAsync($"/api/manage/refund-requests/{denied.RequestId}"))!;
        Assert.Equal(("canceled", "denied"), (deniedView["status"]!.GetValue<string>(), deniedView["approval"]!["decision"]!.GetValue<string>()));
    }
}
