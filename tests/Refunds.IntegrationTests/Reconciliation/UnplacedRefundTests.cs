using System.Text.Json;
using System.Text.Json.Nodes;
using Refunds.Core.Anomalies;
using Refunds.Core.Pingpp;
using Refunds.Core.Reconciliation;
using Refunds.Core.Webhooks;
using Refunds.Functions.Tests.Webhooks;
using Refunds.IntegrationTests.Support;

namespace Refunds.IntegrationTests.Reconciliation;

/// <summary>
/// Refunds whose order we cannot name (issue 17.3), on Azurite and the simulator: a webhook's refund of no known order
/// is kept with its raw JSON, looked up through its charge by reconciliation (bounded per run, backing off), merged
/// into its order as external when found, and otherwise left listed as a problem, never linked to a request of ours.
/// </summary>
public sealed class UnplacedRefundTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task A_dashboard_refund_reported_by_webhook_alone_is_kept_then_placed_in_its_order_as_external_through_its_charge()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.Report);
        var other = await h.Admin.SeedOrderAsync(700);
        var seeded = await h.Admin.SeedOrderAsync(1000);
        var dashboard = Assert.Single(await h.Admin.DashboardRefundAsync(seeded.Id, seeded.ChargeIds[0], 300));
        await h.Admin.SettleAsync(seeded.Id);
        var delivered = await h.EventAsync("refund.succeeded", dashboard.Id);

        await h.WebhookHandler().ApplyAsync(delivered, None);

        var kept = await h.Unplaced.GetAsync(dashboard.Id, None);
        Assert.NotNull(kept);
        Assert.Null((await h.Ledger.GetRefundAsync(dashboard.Id, None))!.OrderId);
        Assert.Equal((seeded.ChargeIds[0], 300L, PingppRefundStatus.Succeeded, 0, (string?)null), (kept.ChargeId, kept.Amount, kept.Status, kept.LookupAttempts, kept.PlacedOrderId));
        Assert.Equal(delivered.RefundJson, kept.RawJson);
        Assert.Equal(dashboard.Id, Assert.Single((await h.Unplaced.ListAsync(null, null, 10, null, None)).Items).RefundId);

        await h.Reconciler().RunAsync(None);

        var placed = await h.Ledger.GetRefundAsync(dashboard.Id, None);
        Assert.NotNull(placed);
        Assert.Equal((seeded.Id, true, (string?)null, PingppRefundStatus.Succeeded), (placed.OrderId, placed.External, placed.RequestId, placed.Status));
        var record = (await h.Unplaced.GetAsync(dashboard.Id, None))!;
        Assert.Equal((seeded.Id, 1), (record.PlacedOrderId, record.LookupAttempts));
        Assert.Contains(seeded.Id, record.LookupOutcome, StringComparison.Ordinal);
        Assert.Empty((await h.Unplaced.ListAsync(null, null, 10, null, None)).Items);
        Assert.Contains(await h.Admin.GetApiCallsAsync(), c => c.Method == "GET" && c.Path == $"/v1/charges/{seeded.ChargeIds[0]}");
        Assert.Null((await h.Ledger.ListOrderAsync(other.Id, None)).Refunds.FirstOrDefault());

        // Placed for good: the next run has no orphan to look up, and a redelivered webhook keeps it in its order.
        var callsBefore = (await h.Admin.GetApiCallsAsync()).Count;
        await h.WebhookHandler().ApplyAsync(delivered, None);
        await h.Reconciler().RunAsync(None);
        Assert.Equal(seeded.Id, (await h.Ledger.GetRefundAsync(dashboard.Id, None))!.OrderId);
        Assert.DoesNotContain((await h.Admin.GetApiCallsAsync()).Skip(callsBefore), c => c.Path.StartsWith("/v1/charges/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_refund_of_a_charge_Ping_plus_plus_does_not_know_stays_listed_with_its_raw_data_and_is_never_linked_to_our_request()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.Report);
        var seeded = await h.Admin.SeedOrderAsync(1000);
        await h.SubmitAsync(seeded.Id, "req-unplaced-1", seeded.ChargeIds[0], 400);
        // A refund naming our request in its metadata, for a charge nobody has: the marker is only a claim.
        var body = TestEvents.RefundSucceeded(TestEvents.NewId("evt_"), TestEvents.NewId("re_"), 400, requestId: "req-unplaced-1");
        var refundId = body["data"]!["object"]!["id"]!.GetValue<string>();
        Assert.True(PingppEventParser.TryParse(TestEvents.Bytes(body), out var parsed, out var reason), reason);

        await h.WebhookHandler().ApplyAsync(parsed, None);
        await h.Reconciler().RunAsync(None);

        var kept = (await h.Unplaced.GetAsync(refundId, None))!;
        Assert.Equal((1, (string?)null), (kept.LookupAttempts, kept.PlacedOrderId));
        Assert.Contains("not found at Ping++ (404)", kept.LookupOutcome, StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(body["data"]!["object"], JsonNode.Parse(kept.RawJson)));
        Assert.Contains("req-unplaced-1", kept.RawJson, StringComparison.Ordinal);
        Assert.Equal(refundId, Assert.Single((await h.Unplaced.ListAsync(null, null, 10, null, None)).Items).RefundId);
        var request = (await h.Ledger.GetRequestAsync("req-unplaced-1", None))!;
        Assert.DoesNotContain(refundId, request.RefundIds);
        var ledgerRow = (await h.Ledger.GetRefundAsync(refundId, None))!;
        Assert.Equal(((string?)null, (string?)null, true), (ledgerRow.OrderId, ledgerRow.RequestId, ledgerRow.External));
        Assert.Contains(await h.Discrepancies.ListAsync("orphan|" + refundId, None), d => d.Kind == DiscrepancyKind.ExternalRefundOfUnknownOrder);

        // Backing off: a run right after does not ask Ping++ again; one past the back-off does.
        await h.Reconciler().RunAsync(None);
        Assert.Equal(1, (await h.Unplaced.GetAsync(refundId, None))!.LookupAttempts);
        h.Time.Advance(TimeSpan.FromMinutes(6));
        await h.Reconciler().RunAsync(None);
        Assert.Equal(2, (await h.Unplaced.GetAsync(refundId, None))!.LookupAttempts);
        Assert.Equal(2, (await h.Admin.GetApiCallsAsync()).Count(c => c.Path.StartsWith("/v1/charges/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Charge_lookups_per_run_are_bounded_and_a_rate_limited_lookup_is_tried_again_next_run()
    {
        await using var h = await ReconcileHarness.StartAsync(AnomalyMode.Report);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var body = TestEvents.RefundSucceeded(TestEvents.NewId("evt_"), TestEvents.NewId("re_"), 100 + i);
            Assert.True(PingppEventParser.TryParse(TestEvents.Bytes(body), out var parsed, out var reason), reason);
            await h.WebhookHandler().ApplyAsync(parsed, None);
            ids.Add(parsed.RefundId!);
        }

        await h.Reconciler(maxPlacements: 2).RunAsync(None);
        var attempts = new List<int>();
        foreach (var id in ids)
        {
            attempts.Add((await h.Unplaced.GetAsync(id, None))!.LookupAttempts);
        }

        Assert.Equal([0, 1, 1], attempts.Order());
        Assert.Equal(2, (await h.Admin.GetApiCallsAsync()).Count(c => c.Path.StartsWith("/v1/charges/", StringComparison.Ordinal)));

        // The third, rate limited: recorded as a failed lookup, still listed, tried again after the back-off.
        var waiting = ids[attempts.IndexOf(0)];
        await h.Admin.SetFaultsAsync(new { rate_limit = new { next = 20, status = 429, retry_after_seconds = 0 } });
        await h.Reconciler(maxPlacements: 1).RunAsync(None);
        var limited = (await h.Unplaced.GetAsync(waiting, None))!;
        await h.Admin.ClearFaultsAsync();
        h.Time.Advance(TimeSpan.FromMinutes(6));
        await h.Reconciler(maxPlacements: 3).RunAsync(None);
        var retried = (await h.Unplaced.GetAsync(waiting, None))!;

        Assert.Equal(1, limited.LookupAttempts);
        Assert.Contains("RateLimited", limited.LookupOutcome, StringComparison.Ordinal);
        Assert.Equal(2, retried.LookupAttempts);
        Assert.Contains("not found at Ping++ (404)", retried.LookupOutcome, StringComparison.Ordinal);
        Assert.Equal(3, (await h.Unplaced.ListAsync(null, null, 10, null, None)).Items.Count);
    }

    [Fact]
    public async Task Unplaced_refunds_are_listed_newest_first_within_a_time_window_in_pages()
    {
        await using var h = await ReconcileHarness.StartAsync();
        var store = h.Unplaced;
        var start = h.Time.GetUtcNow();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var refund = new PingppRefund { Id = TestEvents.NewId("re_"), Amount = 10 + i, Charge = "ch_x" + i, Status = PingppRefundStatus.Succeeded };
            Assert.True(await store.RecordAsync(refund, JsonSerializer.Serialize(refund, PingppJson.Options), None));
            ids.Add(refund.Id);
            h.Time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.False(await store.RecordAsync(new PingppRefund { Id = ids[0], Amount = 10, Status = PingppRefundStatus.Succeeded }, "{}", None));

        var first = await store.ListAsync(null, null, 2, null, None);
        var second = await store.ListAsync(null, null, 2, first.Continuation, None);
        var third = await store.ListAsync(null, null, 2, second.Continuation, None);
        var window = await store.ListAsync(start.AddMinutes(1), start.AddMinutes(3), 10, null, None);

        Assert.Equal([ids[4], ids[3], ids[2], ids[1], ids[0]], first.Items.Concat(second.Items).Concat(third.Items).Select(r => r.RefundId));
        Assert.Null(third.Continuation);
        Assert.Equal([ids[2], ids[1]], window.Items.Select(r => r.RefundId));
        Assert.Equal((start, 10L, "ch_x0"), (third.Items[0].FirstSeenAt, third.Items[0].Amount, third.Items[0].ChargeId));
        Assert.Contains("\"ch_x0\"", third.Items[0].RawJson, StringComparison.Ordinal);
    }
}
