using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Pingpp.Simulator.Tests;

public sealed partial class OrderRefundApiTests
{
    [GeneratedRegex("^re_[A-Za-z0-9]{24}$")] private static partial Regex RefundId();
    [GeneratedRegex("^ch_[A-Za-z0-9]{24}$")] private static partial Regex ChargeId();
    [GeneratedRegex("^[0-9]{19}$")] private static partial Regex OrderId();

    private static string Id(JsonNode node) => node["id"]!.GetValue<string>();
    private static long Long(JsonNode? node) => node!.GetValue<long>();
    private static JsonArray Charges(JsonNode order) => (JsonArray)order["charges"]!["data"]!;

    [Fact]
    public async Task Seeded_order_has_ping_plus_plus_shaped_ids_and_paid_amounts()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var order = await sim.SeedOrderAsync();

        Assert.Matches(OrderId(), Id(order));
        Assert.All(Charges(order), c => Assert.Matches(ChargeId(), Id(c!)));
        Assert.Equal("paid", order["status"]!.GetValue<string>());
        Assert.Equal(1000, Long(order["amount_paid"]));
        Assert.Equal(1000, Long(order["actual_amount"]));
        Assert.Equal(0, Long(order["amount_refunded"]));
        Assert.Equal([600L, 400L], Charges(order).Select(c => Long(c!["amount"])));
    }

    [Fact]
    public async Task An_order_seeded_with_fixed_ids_keeps_them_and_a_second_seed_with_the_same_id_is_refused()
    {
        await using var sim = await SimulatorHost.StartAsync();
        const string seed = """{"id":"2011708070000007521","amount":1000,"charges":[{"id":"ch_L8qn10mLmr1GS8e5OODmHaL4","amount":1000}]}""";
        var order = await sim.SeedOrderAsync(seed);

        Assert.Equal("2011708070000007521", Id(order));
        Assert.Equal("ch_L8qn10mLmr1GS8e5OODmHaL4", Id(Charges(order).Single()!));
        var (status, created) = await sim.CreateRefundAsync("2011708070000007521",
            """{"description":"退货","charge":"ch_L8qn10mLmr1GS8e5OODmHaL4","charge_amount":10}""");
        Assert.Equal(200, status);
        Assert.Equal(10, Long(created!["data"]![0]!["amount"]));

        using var again = await sim.Http.PostAsync("/_sim/orders", new StringContent(seed, Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, again.StatusCode);
        using var badId = await sim.Http.PostAsync("/_sim/orders", new StringContent("""{"id":"a/b","amount":1}""", Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, badId.StatusCode);
    }

    [Fact]
    public async Task Seeded_canceled_and_overpaid_orders_show_the_guides_anomalies()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var canceled = await sim.SeedOrderAsync("""{"amount":500,"status":"canceled"}""");
        var overpaid = await sim.SeedOrderAsync("""{"amount":500,"charges":[{"amount":500,"channel":"alipay"},{"amount":500,"channel":"wx"}]}""");

        Assert.Equal("canceled", canceled["status"]!.GetValue<string>());
        Assert.True(canceled["paid"]!.GetValue<bool>());
        Assert.Equal(Long(canceled["actual_amount"]), Long(canceled["amount_paid"]));
        Assert.Equal("alipay", Charges(canceled).Single()!["channel"]!.GetValue<string>());
        Assert.True(Long(overpaid["amount_paid"]) > Long(overpaid["actual_amount"]));
    }

    [Fact]
    public async Task Partial_refund_of_one_charge_updates_charge_and_order_after_settlement_and_keeps_metadata()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var order = await sim.SeedOrderAsync();
        var orderId = Id(order);
        var chargeId = Id(Charges(order)[0]!);

        var (status, created) = await sim.CreateRefundAsync(orderId,
            """{"description":"部分退款","charge":"CHARGE","charge_amount":250,"metadata":{"refund_request_id":"req-1","n":{"a":[1,2]}}}""".Replace("CHARGE", chargeId));

        Assert.Equal(200, status);
        Assert.Equal("list", created!["object"]!.GetValue<string>());
        var refund = created["data"]!.AsArray().Single()!;
        Assert.Matches(RefundId(), Id(refund));
        Assert.Equal("pending", refund["status"]!.GetValue<string>());
        Assert.Equal(250, Long(refund["amount"]));
        Assert.Equal(chargeId, refund["charge"]!.GetValue<string>());
        Assert.Equal("""{"refund_request_id":"req-1","n":{"a":[1,2]}}""", refund["metadata"]!.ToJsonString());

        var (_, pendingOrder) = await sim.GetAsync($"/v1/orders/{orderId}");
        Assert.Equal(0, Long(pendingOrder!["amount_refunded"]));
        Assert.True(pendingOrder["refunded"]!.GetValue<bool>()); // "是否存在退款信息,无论退款是否成功"

        await sim.SettleAsync();

        var (_, settled) = await sim.GetAsync($"/v1/orders/{orderId}/order_refunds/{Id(refund)}");
        Assert.Equal("succeeded", settled!["status"]!.GetValue<string>());
        Assert.True(settled["succeed"]!.GetValue<bool>());
        Assert.NotNull(settled["time_succeed"]);
        var (_, after) = await sim.GetAsync($"/v1/orders/{orderId}");
        Assert.Equal(250, Long(after!["amount_refunded"]));
        Assert.Equal("refunded", after["status"]!.GetValue<string>()); // "存在退款": any refund, not only a full one
        Assert.Equal(250, Long(Charges(after)[0]!["amount_refunded"]));
        Assert.False(Charges(after)[0]!["refunded"]!.GetValue<bool>());
        Assert.Equal(0, Long(Charges(after)[1]!["amount_refunded"]));
    }

    [Fact]
    public async Task Refund_without_charge_refunds_the_remainder_of_every_charge_and_fully_refunds_the_order()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var order = await sim.SeedOrderAsync();
        var orderId = Id(order);
        await sim.CreateRefundAsync(orderId, $$"""{"description":"first","charge":"{{Id(Charges(order)[0]!)}}","charge_amount":100}""");

        var (status, created) = await sim.CreateRefundAsync(orderId, """{"description":"rest"}""");

        Assert.Equal(200, status);
        var refunds = created!["data"]!.AsArray();
        Assert.Equal([500L, 400L], refunds.Select(r => Long(r!["amount"])));
        Assert.Equal(Charges(order).Select(c => Id(c!)), refunds.Select(r => r!["charge"]!.GetValue<string>()));
        await sim.SettleAsync();
        var (_, after) = await sim.GetAsync($"/v1/orders/{orderId}");
        Assert.Equal("refunded", after!["status"]!.GetValue<string>());
        Assert.Equal(1000, Long(after["amount_refunded"]));
        Assert.All(Charges(after), c => Assert.True(c!["refunded"]!.GetValue<bool>()));
        var (again, error) = await sim.CreateRefundAsync(orderId, """{"description":"too much"}""");
        Assert.Equal(400, again);
        Assert.Equal("invalid_request_error", error!["error"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task List_is_newest_first_and_pages_with_has_more()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var order = await sim.SeedOrderAsync("""{"amount":300}""");
        var orderId = Id(order);
        var chargeId = Id(Charges(order)[0]!);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var (_, created) = await sim.CreateRefundAsync(orderId, $$"""{"description":"r{{i}}","charge":"{{chargeId}}","charge_amount":100}""");
            ids.Add(Id(created!["data"]![0]!));
        }

        var (s1, page1) = await sim.GetAsync($"/v1/orders/{orderId}/order_refunds?page=1&per_page=2");
        var (s2, page2) = await sim.GetAsync($"/v1/orders/{orderId}/order_refunds?page=2&per_page=2");
        var (s3, all) = await sim.GetAsync($"/v1/orders/{orderId}/order_refunds");

        Assert.Equal((200, 200, 200), (s1, s2, s3));
        Assert.Equal([ids[2], ids[1]], page1!["data"]!.AsArray().Select(r => Id(r!)));
        Assert.True(page1["has_more"]!.GetValue<bool>());
        Assert.Equal([ids[0]], page2!["data"]!.AsArray().Select(r => Id(r!)));
        Assert.False(page2["has_more"]!.GetValue<bool>());
        Assert.Equal($"/v1/orders/{orderId}/order_refunds", all!["url"]!.GetValue<string>());
        Assert.Equal(3, all["data"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("per_page=0", "per_page")]
    [InlineData("per_page=21", "per_page")]
    [InlineData("per_page=abc", "per_page")]
    [InlineData("page=0", "page")]
    [InlineData("page=-1&per_page=5", "page")]
    public async Task Bad_paging_params_are_400_naming_the_param(string query, string param)
    {
        await using var sim = await SimulatorHost.StartAsync();
        var orderId = Id(await sim.SeedOrderAsync());

        var (status, json) = await sim.GetAsync($"/v1/orders/{orderId}/order_refunds?{query}");

        Assert.Equal(400, status);
        Assert.Equal(param, json!["error"]!["param"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_order_refund_and_route_are_404_in_ping_plus_plus_error_shape()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var orderId = Id(await sim.SeedOrderAsync());

        var results = new[]
        {
            await sim.GetAsync("/v1/orders/2099999999999999999"),
            await sim.GetAsync("/v1/orders/2099999999999999999/order_refunds"),
            await sim.GetAsync($"/v1/orders/{orderId}/order_refunds/re_000000000000000000000000"),
            await sim.CreateRefundAsync("2099999999999999999", """{"description":"x"}"""),
            await sim.GetAsync("/v1/nothing_here"),
        };

        Assert.All(results, r =>
        {
            Assert.Equal(404, r.Status);
            Assert.Equal("invalid_request_error", r.Json!["error"]!["type"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(r.Json["error"]!["message"]!.GetValue<string>()));
        });
    }

    [Theory]
    [InlineData("""{"charge":"{charge}"}""", "description")]
    [InlineData("""{"description":"  "}""", "description")]
    [InlineData("""{"description":"x","charge_amount":100}""", "charge_amount")]
    [InlineData("""{"description":"x","charge":"{charge}","charge_amount":0}""", "charge_amount")]
    [InlineData("""{"description":"x","charge":"{charge}","charge_amount":1.5}""", "charge_amount")]
    [InlineData("""{"description":"x","charge":"{charge}","charge_amount":601}""", "charge_amount")]
    [InlineData("""{"description":"x","refund_mode":"to_card"}""", "refund_mode")]
    [InlineData("""{"description":"x","funding_source":"someone_else"}""", "funding_source")]
    [InlineData("""{"description":"x","charge":"ch_000000000000000000000000"}""", "charge")]
    [InlineData("""{"description":"x","metadata":"not an object"}""", "metadata")]
    [InlineData("""{"description":"x","royalty_users":[{"user":1}]}""", "royalty_users")]
    public async Task Invalid_create_params_are_400_naming_the_param_and_record_nothing(string body, string param)
    {
        await using var sim = await SimulatorHost.StartAsync();
        var order = await sim.SeedOrderAsync();

        var (status, json) = await sim.CreateRefundAsync(Id(order), body.Replace("{charge}", Id(Charges(order)[0]!)));

        Assert.Equal(400, status);
        Assert.Equal("invalid_request_error", json!["error"]!["type"]!.GetValue<string>());
        Assert.Equal(param, json["error"]!["param"]!.GetValue<string>());
        Assert.Empty(await sim.AdminRefundsAsync());
    }

    [Theory]
    [InlineData("{\"description\":")]
    [InlineData("[1,2]")]
    [InlineData("")]
    public async Task Malformed_json_is_400(string body)
    {
        await using var sim = await SimulatorHost.StartAsync();
        var orderId = Id(await sim.SeedOrderAsync());

        var (status, json) = await sim.CreateRefundAsync(orderId, body);

        Assert.Equal(400, status);
        Assert.Equal("invalid_request_error", json!["error"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Accepts_bearer_and_basic_auth_with_the_key_as_user_name()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var orderId = Id(await sim.SeedOrderAsync());

        using var bearer = new HttpRequestMessage(HttpMethod.Get, $"/v1/orders/{orderId}");
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SimulatorHost.ApiKey);
        using var basic = new HttpRequestMessage(HttpMethod.Get, $"/v1/orders/{orderId}");
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(SimulatorHost.ApiKey + ":")));

        Assert.Equal(200, (await sim.SendAsync(bearer)).Status);
        Assert.Equal(200, (await sim.SendAsync(basic)).Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer sk_test_wrongwrongwrongwrongwrong")]
    [InlineData("Bearer ")]
    [InlineData("Basic c2tfdGVzdF9pYmJUZTVqTEdDaTVyemZINE9xUFc5S0M6c2VjcmV0")] // key:secret – password must be empty
    [InlineData("Basic !!!notbase64")]
    [InlineData("Token sk_test_ibbTe5jLGCi5rzfH4OqPW9KC")]
    public async Task Missing_or_wrong_key_is_401_and_creates_nothing(string? authorization)
    {
        await using var sim = await SimulatorHost.StartAsync();
        var orderId = Id(await sim.SeedOrderAsync());
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/orders/{orderId}/order_refunds")
        {
            Content = new StringContent("""{"description":"x"}""", Encoding.UTF8, "application/json"),
        };
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);

        var (status, json) = await sim.SendAsync(request);

        Assert.Equal(401, status);
        Assert.Equal("invalid_request_error", json!["error"]!["type"]!.GetValue<string>());
        Assert.Empty(await sim.AdminRefundsAsync());
    }

    [Fact]
    public async Task Dashboard_refund_has_no_metadata_and_is_marked_as_such()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var order = await sim.SeedOrderAsync();

        var created = await sim.AdminAsync(HttpMethod.Post, $"/_sim/orders/{Id(order)}/refunds",
            $$"""{"charge":"{{Id(Charges(order)[1]!)}}","amount":50}""");

        var refund = created["data"]![0]!;
        Assert.Equal(50, Long(refund["amount"]));
        Assert.Equal("{}", refund["metadata"]!.ToJsonString());
        var admin = (await sim.AdminRefundsAsync()).Single()!;
        Assert.Equal("dashboard", admin["origin"]!.GetValue<string>());
        Assert.Equal(Id(refund), admin["refund_id"]!.GetValue<string>());
        Assert.Equal(Id(order), admin["order_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Refunds_settle_by_themselves_after_the_configured_delay()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.SettleDelay = TimeSpan.FromMilliseconds(50));
        var orderId = Id(await sim.SeedOrderAsync());
        var (_, created) = await sim.CreateRefundAsync(orderId, """{"description":"auto"}""");
        var refundId = Id(created!["data"]![0]!);

        var status = await Eventually.ReturnsAsync(
            async () => (await sim.GetAsync($"/v1/orders/{orderId}/order_refunds/{refundId}")).Json!["status"]!.GetValue<string>(),
            now => now != "pending", TimeSpan.FromSeconds(10), $"refund {refundId} settled", now => now, TimeSpan.FromMilliseconds(25));

        Assert.Equal("succeeded", status);
    }
}
