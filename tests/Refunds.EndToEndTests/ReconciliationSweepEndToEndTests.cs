using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Refunds.Core.Ledger;
using Refunds.Core.Reconciliation;
using Refunds.Core.Refunds;
using Refunds.EndToEndTests.Support;
using Refunds.Functions.Tests;
using Refunds.Functions.Tests.Webhooks;
using Refunds.IntegrationTests.Support;
using Refunds.TestSupport;
using Xunit.Abstractions;

namespace Refunds.EndToEndTests;

/// <summary>
/// Issue 17's end-to-end checks, with the simulator's webhooks switched off (only polling can find the truth): the app
/// on the local host (keys on) with its reconcile timer on a seconds schedule and short sweep settings, Azurite and the
/// simulator. An order paid after cancel that we never saw is found by the order-list sweep and refunded once; a
/// refund for a charge Ping++ does not know is kept as an unplaced problem with its raw data, never linked to our
/// request; a host restarted mid-sweep resumes from the stored cursor.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ReconciliationSweepEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private static readonly string AppId = new Pingpp.Simulator.SimulatorOptions().AppId;

    [Fact]
    public async Task An_order_paid_after_cancel_that_we_never_saw_is_found_by_the_sweep_and_refunded_exactly_once()
    {
        await using var system = await RefundSystem.StartAsync(Options(new()
        {
            ["Reconciliation:SweepPagesPerRun"] = "5",
            ["Reconciliation:SweepInterval"] = "00:00:01",
        }));
        output.WriteLine($"host: {system.Host.Description}");
        var normal = await system.Sim.SeedOrderAsync(1000);
        var canceled = await system.Sim.SeedOrderAsync(1500, status: "canceled");
        var sweeps = new OrderSweepStore(system.Storage, system.TableNames.ReconcileIndexTable);

        var refund = (await Eventually.ReturnsAsync(
            () => system.Sim.GetRefundsAsync(canceled.Id), r => r.Count > 0, Timeout, "the sweep's refund of the canceled order at the simulator")).Single();
        var requestId = refund.RequestId;
        Assert.NotNull(requestId);
        await system.WaitForAllAsync([requestId], r => r.State == RefundRequestState.Succeeded, Timeout);

        // Two more sweeps over the same window complete: each lists the order again and does nothing more.
        var completedBefore = (await sweeps.GetCursorAsync(CancellationToken.None))?.Cursor.LastCompletedAt;
        var completions = new HashSet<DateTimeOffset>();
        await Eventually.TrueAsync(async () =>
        {
            if ((await sweeps.GetCursorAsync(CancellationToken.None))?.Cursor.LastCompletedAt is { } at && at != completedBefore)
            {
                completions.Add(at);
            }

            return completions.Count >= 2;
        }, Timeout, "two more completed sweeps", TimeSpan.FromMilliseconds(100));

        var atSimulator = await system.Sim.GetRefundsAsync(canceled.Id);
        Assert.Equal((1500L, requestId), (Assert.Single(atSimulator).Amount, atSimulator[0].RequestId));
        Assert.Empty(await system.Sim.GetRefundsAsync(normal.Id));
        Assert.StartsWith("paid-after-cancel", (await sweeps.GetFindingAsync(canceled.Id, CancellationToken.None))!.Found, StringComparison.Ordinal);
        Assert.Null(await sweeps.GetFindingAsync(normal.Id, CancellationToken.None));
        Assert.All(await system.Sim.GetEventsAsync(), e => Assert.Empty(e.Attempts));
    }

    [Fact]
    public async Task A_refund_for_a_charge_nobody_knows_shows_up_unplaced_with_its_raw_data_and_is_never_linked_to_our_request()
    {
        using var pingpp = new TestWebhookSigner();
        await using var system = await RefundSystem.StartAsync(Options(new()
        {
            ["Reconciliation:SweepEnabled"] = "false",
            ["Pingpp:WebhookPublicKeys:0"] = pingpp.PublicKeyPem,
        }, serveWebhookFunction: true));
        output.WriteLine($"host: {system.Host.Description}");
        var request = await system.SeededRequestAsync("e2e-unplaced-" + Guid.NewGuid().ToString("N")[..8], 400);
        var (status, _) = await RefundApi.SubmitAsync(system.Client, request);
        Assert.Equal(HttpStatusCode.Accepted, status);
        await system.WaitForAllAsync([request.RequestId], r => r.State == RefundRequestState.Succeeded, Timeout);

        // Ping++ (as far as the app can tell: signed with its key) reports a refund of a charge it has no record of,
        // naming our request in its metadata.
        var body = TestEvents.Bytes(TestEvents.RefundSucceeded(TestEvents.NewId("evt_"), TestEvents.NewId("re_"), 400, requestId: request.RequestId));
        var refundId = JsonNode.Parse(body)!["data"]!["object"]!["id"]!.GetValue<string>();
        using var webhooks = system.CreateClient(0, key: null);
        using var delivery = new HttpRequestMessage(HttpMethod.Post, "/api/pingpp/webhooks") { Content = new ByteArrayContent(body) };
        delivery.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        delivery.Headers.TryAddWithoutValidation("X-Pingplusplus-Signature", pingpp.Sign(body));
        using var answer = await webhooks.SendAsync(delivery);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);

        var unplaced = new UnplacedRefundStore(system.Storage, TimeProvider.System, system.TableNames.ReconcileIndexTable);
        var kept = await Eventually.ReturnsAsync(
            () => unplaced.GetAsync(refundId, CancellationToken.None), r => r is { LookupAttempts: > 0 }, Timeout, "a charge lookup by the reconcile timer",
            r => r is null ? "not kept" : $"{r.LookupAttempts} lookups");

        Assert.Equal((1, (string?)null, 400L), (kept!.LookupAttempts, kept.PlacedOrderId, kept.Amount));
        Assert.Contains("not found at Ping++ (404)", kept.LookupOutcome, StringComparison.Ordinal);
        Assert.Contains(kept.RawJson, Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        Assert.StartsWith("{\"id\":\"" + refundId, kept.RawJson, StringComparison.Ordinal);
        Assert.Equal(refundId, Assert.Single((await unplaced.ListAsync(null, null, 50, null, CancellationToken.None)).Items).RefundId);
        Assert.Contains(await system.Sim.GetApiCallsAsync(), c => c.Path == $"/v1/charges/{kept.ChargeId}");
        var ours = (await system.Ledger.GetRequestAsync(request.RequestId, CancellationToken.None))!;
        Assert.DoesNotContain(refundId, ours.RefundIds);
        Assert.Equal(RefundRequestState.Succeeded, ours.State);
        var recorded = (await system.Ledger.GetRefundAsync(refundId, CancellationToken.None))!;
        Assert.Equal(((string?)null, (string?)null, true), (recorded.OrderId, recorded.RequestId, recorded.External));
        Assert.Single(await system.Sim.GetRefundsAsync(request.OrderId));
    }

    [LocalHostOnlyFact("the host is stopped and started again in-process")]
    public async Task A_host_restarted_mid_sweep_resumes_from_the_stored_cursor_and_reads_every_page_once()
    {
        await using var system = await RefundSystem.StartAsync(Options(new()
        {
            ["Reconciliation:SweepPagesPerRun"] = "1",
            ["Reconciliation:SweepInterval"] = "01:00:00",
            ["ReconcileSchedule"] = "*/2 * * * * *",
        }));
        output.WriteLine($"host: {system.Host.Description}");
        // Ping++ throttles the app's first list calls (two runs: each call and its one read retry): a sweep that starts
        // then is stopped politely on page 1 and keeps its cursor, while the orders are seeded. They were created a
        // while ago, oldest last, so each new one joins the end of the newest-first list and no page moves under the sweep.
        await system.Sim.SetFaultsAsync(new { rate_limit = new { next = 4, status = 429, retry_after_seconds = 0 } });
        var createdAt = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds();
        var canceled = new List<string>();
        for (var i = 44; i >= 0; i--)
        {
            var order = await system.Sim.SeedOrderAsync(1000 + i, status: i is 3 or 33 ? "canceled" : null, created: createdAt + i);
            if (i is 3 or 33)
            {
                canceled.Add(order.Id);
            }
        }

        var sweeps = new OrderSweepStore(system.Storage, system.TableNames.ReconcileIndexTable);
        await Eventually.TrueAsync(async () => (await sweeps.GetCursorAsync(CancellationToken.None))?.Cursor.NextPage >= 2, Timeout, "the first page read", TimeSpan.FromMilliseconds(50));
        await system.StopInstanceAsync(0);
        var resumeFrom = (await sweeps.GetCursorAsync(CancellationToken.None))!.Value.Cursor.NextPage;
        var pagesBeforeStop = Pages(await system.Sim.GetApiCallsAsync());
        await system.StartInstanceAsync(0);
        await Eventually.ReturnsAsync(
            () => sweeps.GetCursorAsync(CancellationToken.None), c => c?.Cursor is { NextPage: 0, LastCompletedAt: not null }, Timeout, "the sweep completed after the restart",
            c => $"next page {c?.Cursor.NextPage}");

        var throttled = (await system.Sim.GetFaultsAsync())["rate_limit"].Triggered;
        var pages = Pages(await system.Sim.GetApiCallsAsync());
        output.WriteLine($"{throttled} throttled list calls; pages before the stop: [{string.Join(", ", pagesBeforeStop)}], resumed from page {resumeFrom}; all: [{string.Join(", ", pages)}]");
        Assert.Equal(4, throttled);
        Assert.All(pages.Take(throttled), page => Assert.Equal(1, page));
        Assert.InRange(resumeFrom, 2, 3);
        Assert.Equal(Enumerable.Range(1, resumeFrom - 1), pagesBeforeStop.Skip(throttled));
        Assert.Equal([1, 2, 3], pages.Skip(throttled));
        Assert.Equal(canceled.Order(), (await Eventually.ReturnsAsync(
            () => system.Sim.GetRefundsAsync(), r => r.Count >= 2, Timeout, "both canceled orders refunded")).Select(r => r.OrderId).Order());
        foreach (var id in canceled)
        {
            Assert.NotNull(await sweeps.GetFindingAsync(id, CancellationToken.None));
        }
    }

    /// <summary>The pages of <c>GET /v1/orders</c> requested, in order.</summary>
    private static List<int> Pages(IReadOnlyList<SimulatorApiCall> calls) =>
    [
        .. calls.Where(c => c is { Method: "GET", Path: "/v1/orders" })
            .Select(c => int.Parse(System.Web.HttpUtility.ParseQueryString(c.Query)["page"]!, System.Globalization.CultureInfo.InvariantCulture)),
    ];

    /// <summary>Webhooks off at the simulator, the sweep on for the simulator's app, AutoRefund, the timer every second; <paramref name="settings"/> on top.</summary>
    private static RefundSystemOptions Options(Dictionary<string, string?> settings, bool serveWebhookFunction = false)
    {
        var all = new Dictionary<string, string?>
        {
            ["Reconciliation:SweepEnabled"] = "true",
            ["Pingpp:AppId"] = AppId,
            ["Anomalies:Mode"] = "AutoRefund",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var schedule = all.Remove("ReconcileSchedule", out var given) ? given! : "*/1 * * * * *";
        return new RefundSystemOptions
        {
            StorageConnectionString = TestStorage.ConnectionString,
            Webhooks = serveWebhookFunction,
            SimulatorSendsWebhooks = false,
            ReconcileSchedule = schedule,
            Settings = all,
        };
    }
}
