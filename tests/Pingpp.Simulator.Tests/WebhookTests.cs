using System.Text.Json.Nodes;

namespace Pingpp.Simulator.Tests;

public sealed class WebhookTests
{
    private static string Id(JsonNode node) => node["id"]!.GetValue<string>();

    private static async Task<string> PublicKeyAsync(SimulatorHost sim) => await sim.Http.GetStringAsync("/_sim/pingpp-public-key");

    [Fact]
    public async Task Seeding_then_full_refund_sends_signed_order_succeeded_charge_succeeded_refund_succeeded_and_order_refunded()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync(o => o.WebhookUrl = receiver.Url);
        var publicKey = await PublicKeyAsync(sim);
        var order = await sim.SeedOrderAsync();
        var orderId = Id(order);
        var (_, created) = await sim.CreateRefundAsync(orderId, """{"description":"全额","metadata":{"refund_request_id":"rq-9"}}""");
        var refundIds = created!["data"]!.AsArray().Select(r => Id(r!)).ToHashSet();

        await sim.SettleAsync();
        // Deliveries run in parallel, like Ping++'s: wait for all six events, in whatever order they come.
        var deliveries = await receiver.WaitAsync(d => d.Select(x => x.EventId).Distinct().Count() == 6);

        Assert.All(deliveries, d => Assert.True(d.VerifiesWith(publicKey), $"{d.Type} must verify with /_sim/pingpp-public-key"));
        Assert.Contains(deliveries, d => d.Type == "order.succeeded" && Id(d.DataObject) == orderId);
        Assert.Equal(2, deliveries.Count(d => d.Type == "charge.succeeded"));
        var refundEvents = deliveries.Where(d => d.Type == "refund.succeeded").ToList();
        Assert.Equal(refundIds, refundEvents.Select(d => Id(d.DataObject)).ToHashSet());
        Assert.All(refundEvents, d =>
        {
            Assert.Matches("^evt_[A-Za-z0-9]{24}$", d.EventId);
            Assert.Equal("event", d.Json["object"]!.GetValue<string>());
            Assert.Equal("refund", d.DataObject["object"]!.GetValue<string>());
            Assert.Equal("succeeded", d.DataObject["status"]!.GetValue<string>());
            Assert.Equal("rq-9", d.DataObject["metadata"]!["refund_request_id"]!.GetValue<string>());
        });
        var orderRefunded = deliveries.Single(d => d.Type == "order.refunded").DataObject;
        Assert.Equal(orderId, Id(orderRefunded));
        Assert.Equal("refunded", orderRefunded["status"]!.GetValue<string>());
        Assert.Equal(1000, orderRefunded["amount_refunded"]!.GetValue<long>());
    }

    [Fact]
    public async Task Webhook_bodies_carry_chinese_as_raw_utf8_and_tampering_breaks_the_signature()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync(o => o.WebhookUrl = receiver.Url);
        var orderId = Id(await sim.SeedOrderAsync("""{"amount":100}"""));
        await sim.CreateRefundAsync(orderId, """{"description":"退款说明"}""");

        await sim.SettleAsync();
        var delivery = (await receiver.WaitAsync(d => d.Any(x => x.Type == "refund.succeeded"))).Single(d => d.Type == "refund.succeeded");

        Assert.Contains("退款说明"u8.ToArray(), SlicesOf(delivery.Body, "退款说明"u8.Length));
        var tampered = delivery with { Body = [.. delivery.Body, (byte)'\n'] };
        Assert.False(tampered.VerifiesWith(await PublicKeyAsync(sim)));
    }

    private static IEnumerable<byte[]> SlicesOf(byte[] body, int length)
    {
        for (var i = 0; i + length <= body.Length; i++) yield return body[i..(i + length)];
    }

    [Fact]
    public async Task Partial_refund_sends_refund_succeeded_but_no_order_refunded()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync(o => o.WebhookUrl = receiver.Url);
        var order = await sim.SeedOrderAsync();
        await sim.CreateRefundAsync(Id(order), $$"""{"description":"p","charge":"{{Id(order["charges"]!["data"]![0]!)}}","charge_amount":10}""");

        await sim.SettleAsync();
        await receiver.WaitAsync(d => d.Any(x => x.Type == "refund.succeeded"));

        Assert.DoesNotContain(await sim.EventsAsync(), e => e!["type"]!.GetValue<string>() == "order.refunded");
    }

    [Fact]
    public async Task Non_2xx_is_retried_with_the_same_bytes_on_the_scaled_schedule_until_2xx()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.RespondTo("order.succeeded", 500, 503);
        await using var sim = await SimulatorHost.StartAsync(o =>
        {
            o.WebhookUrl = receiver.Url;
            o.WebhookRetryScale = 0.001; // 2 min → 120 ms, 10 min → 600 ms
        });

        var orderId = Id(await sim.SeedOrderAsync("""{"amount":100}""")); // first event: order.succeeded
        var deliveries = await receiver.WaitAsync(d => d.Count(x => x.Type == "order.succeeded") == 3);

        var attempts = deliveries.Where(d => d.Type == "order.succeeded").ToList();
        Assert.Single(attempts.Select(a => Convert.ToBase64String(a.Body)).Distinct());
        var evt = (await sim.EventsAsync()).Single(e => e!["type"]!.GetValue<string>() == "order.succeeded")!;
        Assert.Equal(orderId, evt["object_id"]!.GetValue<string>());
        await WaitForStateAsync(sim, evt["id"]!.GetValue<string>(), "delivered");
        var recorded = (await sim.EventsAsync()).Single(e => Id(e!) == Id(evt))!["attempts"]!.AsArray();
        Assert.Equal([500, 503, 200], recorded.Select(a => a!["status_code"]!.GetValue<int>()));
        var at = recorded.Select(a => a!["at"]!.GetValue<long>()).ToList();
        Assert.True(at[1] - at[0] >= 110, "second delivery waits the scaled 2 min");
        Assert.True(at[2] - at[1] >= 590, "third delivery waits the scaled 10 min");
    }

    [Fact]
    public async Task Delivery_gives_up_after_eight_attempts()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.RespondTo("order.succeeded", Enumerable.Repeat(500, 20).ToArray());
        await using var sim = await SimulatorHost.StartAsync(o =>
        {
            o.WebhookUrl = receiver.Url;
            o.WebhookRetryScale = 0.00001; // the whole 25 h schedule in under a second
        });

        await sim.SeedOrderAsync("""{"amount":100}""");
        var evtId = Id((await sim.EventsAsync()).First(e => e!["type"]!.GetValue<string>() == "order.succeeded")!);
        await WaitForStateAsync(sim, evtId, "failed");

        Assert.Equal(8, (await sim.EventsAsync()).Single(e => Id(e!) == evtId)!["attempts"]!.AsArray().Count);
    }

    [Fact]
    public async Task Replay_sends_the_same_event_bytes_again()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync(o => o.WebhookUrl = receiver.Url);
        await sim.SeedOrderAsync("""{"amount":100}""");
        var first = (await receiver.WaitAsync(d => d.Any(x => x.Type == "order.succeeded"))).First(x => x.Type == "order.succeeded");

        await sim.AdminAsync(HttpMethod.Post, $"/_sim/events/{first.EventId}/replay");
        var all = await receiver.WaitAsync(d => d.Count(x => x.EventId == first.EventId) == 2);

        Assert.Equal(first.Body, all.Last(x => x.EventId == first.EventId).Body);
    }

    [Fact]
    public async Task Failed_refunds_settle_with_failure_details_and_emit_no_event()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sim = await SimulatorHost.StartAsync(o => o.WebhookUrl = receiver.Url);
        var orderId = Id(await sim.SeedOrderAsync("""{"amount":100,"refund_failure":{"failure_code":"CHANNEL_REFUSED","failure_msg":"渠道拒绝"}}"""));
        var (_, created) = await sim.CreateRefundAsync(orderId, """{"description":"x"}""");
        var refundId = Id(created!["data"]![0]!);

        await sim.SettleAsync();

        var (_, refund) = await sim.GetAsync($"/v1/orders/{orderId}/order_refunds/{refundId}");
        Assert.Equal("failed", refund!["status"]!.GetValue<string>());
        Assert.False(refund["succeed"]!.GetValue<bool>());
        Assert.Equal("CHANNEL_REFUSED", refund["failure_code"]!.GetValue<string>());
        Assert.Equal("渠道拒绝", refund["failure_msg"]!.GetValue<string>());
        var events = await sim.EventsAsync();
        Assert.DoesNotContain(events, e => e!["type"]!.GetValue<string>() is "refund.succeeded" or "order.refunded");
        var (_, order) = await sim.GetAsync($"/v1/orders/{orderId}");
        Assert.Equal(0, order!["amount_refunded"]!.GetValue<long>());
        Assert.Equal("paid", order["status"]!.GetValue<string>());
    }

    internal static Task WaitForStateAsync(SimulatorHost sim, string eventId, string state)
        => Eventually.ReturnsAsync(
            async () => (await sim.EventsAsync()).Single(e => Id(e!) == eventId)!["delivery_state"]!.GetValue<string>(),
            now => now == state, TimeSpan.FromSeconds(20), $"event {eventId} {state}", now => now, TimeSpan.FromMilliseconds(25));
}
