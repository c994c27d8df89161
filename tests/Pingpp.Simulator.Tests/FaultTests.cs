using System.Text;
using System.Text.Json.Nodes;

namespace Pingpp.Simulator.Tests;

public sealed class FaultTests
{
    private static string Id(JsonNode node) => node["id"]!.GetValue<string>();

    [Fact]
    public async Task Error_before_create_is_5xx_and_records_no_refund()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var orderId = Id(await sim.SeedOrderAsync());
        await sim.SetFaultsAsync("""{"error_before_create":{"next":1,"status":502}}""");

        var (status, json) = await sim.CreateRefundAsync(orderId, """{"description":"x"}""");

        Assert.Equal(502, status);
        Assert.Equal("api_error", json!["error"]!["type"]!.GetValue<string>());
        Assert.Empty(await sim.AdminRefundsAsync());
        Assert.Equal(200, (await sim.CreateRefundAsync(orderId, """{"description":"x"}""")).Status);
    }

    [Fact]
    public async Task Error_after_create_is_5xx_but_the_refund_exists_and_is_listed()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var orderId = Id(await sim.SeedOrderAsync("""{"amount":100}"""));
        await sim.SetFaultsAsync("""{"error_after_create":{"next":1}}""");

        var (status, _) = await sim.CreateRefundAsync(orderId, """{"description":"x","metadata":{"refund_request_id":"lost-1"}}""");

        Assert.Equal(500, status);
        var (_, list) = await sim.GetAsync($"/v1/orders/{orderId}/order_refunds");
        Assert.Equal("lost-1", list!["data"]![0]!["metadata"]!["refund_request_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Hang_after_create_loses_the_response_but_the_refund_exists()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var orderId = Id(await sim.SeedOrderAsync("""{"amount":100}"""));
        await sim.SetFaultsAsync("""{"hang_after_create":{"next":1,"hang_ms":200}}""");

        var request = sim.Request(HttpMethod.Post, $"/v1/orders/{orderId}/order_refunds", """{"description":"x"}""");
        await Assert.ThrowsAsync<HttpRequestException>(() => sim.SendAsync(request));

        Assert.Single(await sim.AdminRefundsAsync());
    }

    [Fact]
    public async Task Rate_limit_is_429_with_retry_after_and_then_clears()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var orderId = Id(await sim.SeedOrderAsync());
        await sim.SetFaultsAsync("""{"rate_limit":{"next":1,"retry_after_seconds":7}}""");

        using var request = sim.Request(HttpMethod.Get, $"/v1/orders/{orderId}");
        using var response = await sim.Http.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(429, (int)response.StatusCode);
        Assert.Equal("7", response.Headers.RetryAfter!.ToString());
        Assert.NotNull(body["error"]!["message"]);
        Assert.Equal(200, (await sim.GetAsync($"/v1/orders/{orderId}")).Status);
    }

    [Fact]
    public async Task Refund_failure_fault_fails_the_next_refund_only_with_the_given_code()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var order = await sim.SeedOrderAsync();
        var orderId = Id(order);
        var charges = order["charges"]!["data"]!.AsArray().Select(c => Id(c!)).ToList();
        await sim.SetFaultsAsync("""{"refund_failure":{"next":1,"failure_code":"SYSTEM_ERROR","failure_msg":"模拟失败"}}""");

        await sim.CreateRefundAsync(orderId, $$"""{"description":"a","charge":"{{charges[0]}}"}""");
        await sim.CreateRefundAsync(orderId, $$"""{"description":"b","charge":"{{charges[1]}}"}""");
        await sim.SettleAsync();

        var refunds = await sim.AdminRefundsAsync();
        Assert.Equal(["failed", "succeeded"], refunds.Select(r => r!["status"]!.GetValue<string>()));
        Assert.Equal("SYSTEM_ERROR", refunds[0]!["failure_code"]!.GetValue<string>());
        Assert.Equal("模拟失败", refunds[0]!["failure_msg"]!.GetValue<string>());
        var (_, order2) = await sim.GetAsync($"/v1/orders/{orderId}");
        Assert.Equal(400, order2!["amount_refunded"]!.GetValue<long>());
    }

    [Fact]
    public async Task Rate_based_fault_with_rate_zero_never_fires_and_rate_one_always_fires()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var orderId = Id(await sim.SeedOrderAsync("""{"amount":100}"""));

        await sim.SetFaultsAsync("""{"error_before_create":{"rate":1}}""");
        var invalid = await sim.CreateRefundAsync(orderId, """{"description":"x","charge_amount":1}""");
        var fired = await sim.CreateRefundAsync(orderId, """{"description":"x"}""");
        await sim.SetFaultsAsync("""{"error_before_create":{"rate":0}}""");
        var notFired = await sim.CreateRefundAsync(orderId, """{"description":"x"}""");

        Assert.Equal(400, invalid.Status); // validation runs before faults
        Assert.Equal(500, fired.Status);
        Assert.Equal(200, notFired.Status);
    }

    [Fact]
    public async Task Faults_can_be_read_and_cleared_and_unknown_kinds_are_refused()
    {
        await using var sim = await SimulatorHost.StartAsync();
        await sim.SetFaultsAsync("""{"drop":{"next":2},"refund_failure":{"rate":0.5,"order_id":"2000000000000000001"}}""");

        var read = await sim.AdminAsync(HttpMethod.Get, "/_sim/faults");
        Assert.Equal(2, read["drop"]!["next"]!.GetValue<int>());
        Assert.Equal("2000000000000000001", read["refund_failure"]!["order_id"]!.GetValue<string>());
        await sim.AdminAsync(HttpMethod.Delete, "/_sim/faults");
        Assert.Equal("{}", (await sim.AdminAsync(HttpMethod.Get, "/_sim/faults")).ToJsonString());

        using var bad = await sim.Http.PutAsync("/_sim/faults", new StringContent("""{"explode":{"next":1}}""", Encoding.UTF8, "application/json"));
        using var badRate = await sim.Http.PutAsync("/_sim/faults", new StringContent("""{"drop":{"rate":2}}""", Encoding.UTF8, "application/json"));
        using var badField = await sim.Http.PutAsync("/_sim/faults", new StringContent("""{"drop":{"nxt":1}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(400, (int)bad.StatusCode);
        Assert.Equal(400, (int)badRate.StatusCode);
        Assert.Equal(400, (int)badField.StatusCode);
    }

    [Fact]
    public async Task Drop_never_delivers_the_event()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync(o => o.WebhookUrl = receiver.Url);
        await sim.SetFaultsAsync("""{"drop":{"next":1}}""");

        await sim.SeedOrderAsync("""{"amount":100}"""); // order.succeeded (dropped), then charge.succeeded
        var delivered = await receiver.WaitAsync(d => d.Any(x => x.Type == "charge.succeeded"));

        var events = await sim.EventsAsync();
        var dropped = events.Single(e => e!["type"]!.GetValue<string>() == "order.succeeded")!;
        Assert.Equal("dropped", dropped["delivery_state"]!.GetValue<string>());
        Assert.Empty(dropped["attempts"]!.AsArray());
        Assert.DoesNotContain(delivered, d => d.Type == "order.succeeded");
    }

    [Fact]
    public async Task Duplicate_delivers_the_same_event_twice()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync(o => o.WebhookUrl = receiver.Url);
        await sim.SetFaultsAsync("""{"duplicate":{"next":1}}""");

        await sim.SeedOrderAsync("""{"amount":100}""");
        var deliveries = await receiver.WaitAsync(d => d.Count(x => x.Type == "order.succeeded") == 2);

        var both = deliveries.Where(d => d.Type == "order.succeeded").ToList();
        Assert.Equal(both[0].EventId, both[1].EventId);
        Assert.Equal(both[0].Body, both[1].Body);
    }

    [Fact]
    public async Task Delay_holds_the_first_delivery_back()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync(o => o.WebhookUrl = receiver.Url);
        await sim.SetFaultsAsync("""{"delay":{"next":1,"delay_ms":400}}""");
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        await sim.SeedOrderAsync("""{"amount":100}""");
        var evt = (await sim.EventsAsync()).Single(e => e!["type"]!.GetValue<string>() == "order.succeeded")!;
        var due = evt["next_attempt_at"]!.GetValue<long>();
        await WebhookTests.WaitForStateAsync(sim, Id(evt), "delivered");

        var attemptAt = (await sim.EventsAsync()).Single(e => Id(e!) == Id(evt))!["attempts"]![0]!["at"]!.GetValue<long>();
        Assert.True(due >= before + 400, "the first delivery is scheduled delay_ms after creation");
        Assert.True(attemptAt >= due, "and is not sent before that");
        Assert.Contains(receiver.Deliveries, d => d.EventId == Id(evt));
    }

    [Fact]
    public async Task Reorder_delivers_an_event_after_the_next_one()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync(o => o.WebhookUrl = receiver.Url);
        await sim.SetFaultsAsync("""{"reorder":{"next":1,"delay_ms":60000}}""");

        await sim.SeedOrderAsync("""{"amount":100}"""); // created in this order: order.succeeded, charge.succeeded
        var deliveries = await receiver.WaitAsync(d => d.Count == 2);

        Assert.Equal(["charge.succeeded", "order.succeeded"], deliveries.Select(d => d.Type));
    }
}
