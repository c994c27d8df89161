using System.Text.Json.Nodes;

namespace Pingpp.Simulator.Tests;

/// <summary>
/// <c>GET /v1/charges/{id}</c> as Ping++ serves it: the charge object of the vectors' <c>charge.succeeded</c> events
/// (merchant <c>order_no</c>, no Ping++ order id) with its refunds embedded as a list, and 404 for a charge nobody has.
/// </summary>
public sealed class ChargeApiTests
{
    [Fact]
    public async Task A_charge_of_an_order_is_retrieved_with_the_orders_merchant_number_and_its_refunds_newest_first()
    {
        await using var sim = await SimulatorHost.StartAsync(signed: true);
        var order = await sim.SeedOrderAsync();
        var charges = (JsonArray)order["charges"]!["data"]!;
        var first = charges[0]!["id"]!.GetValue<string>();
        var second = charges[1]!["id"]!.GetValue<string>();
        var (s1, r1) = await sim.CreateRefundAsync(order["id"]!.GetValue<string>(), $$"""{"description":"a","charge":"{{first}}","charge_amount":100}""");
        var (s2, r2) = await sim.CreateRefundAsync(order["id"]!.GetValue<string>(), $$"""{"description":"b","charge":"{{first}}","charge_amount":200}""");
        Assert.Equal((200, 200), (s1, s2));

        var (status, charge) = await sim.GetAsync($"/v1/charges/{first}");
        var (_, other) = await sim.GetAsync($"/v1/charges/{second}");

        Assert.Equal(200, status);
        Assert.Equal(("charge", first, 600L), (charge!["object"]!.GetValue<string>(), charge["id"]!.GetValue<string>(), charge["amount"]!.GetValue<long>()));
        Assert.Equal(order["merchant_order_no"]!.GetValue<string>(), charge["order_no"]!.GetValue<string>());
        Assert.Equal(order["app"]!.GetValue<string>(), charge["app"]!.GetValue<string>());
        Assert.Null(charge["order"]);
        var refunds = charge["refunds"]!;
        Assert.Equal(("list", $"/v1/charges/{first}/refunds", false), (refunds["object"]!.GetValue<string>(), refunds["url"]!.GetValue<string>(), refunds["has_more"]!.GetValue<bool>()));
        Assert.Equal(
            [r2!["data"]![0]!["id"]!.GetValue<string>(), r1!["data"]![0]!["id"]!.GetValue<string>()],
            ((JsonArray)refunds["data"]!).Select(r => r!["id"]!.GetValue<string>()));
        Assert.Empty((JsonArray)other!["refunds"]!["data"]!);
    }

    [Fact]
    public async Task A_charge_nobody_has_is_a_404_naming_the_id()
    {
        await using var sim = await SimulatorHost.StartAsync();

        var (status, body) = await sim.GetAsync("/v1/charges/ch_nobodyHasThisCharge0001");

        Assert.Equal(404, status);
        Assert.Equal(("invalid_request_error", "id"), (body!["error"]!["type"]!.GetValue<string>(), body["error"]!["param"]!.GetValue<string>()));
    }

    [Fact]
    public async Task The_api_call_log_keeps_each_calls_query_string()
    {
        await using var sim = await SimulatorHost.StartAsync();

        await sim.GetAsync("/v1/orders?app=app_1Gqj58ynP0mHeX1q&page=2&per_page=20");
        var calls = (JsonArray)(await sim.AdminAsync(HttpMethod.Get, "/_sim/api-calls"))["data"]!;

        var call = Assert.Single(calls);
        Assert.Equal(("/v1/orders", "?app=app_1Gqj58ynP0mHeX1q&page=2&per_page=20"), (call!["path"]!.GetValue<string>(), call["query"]!.GetValue<string>()));
    }
}
