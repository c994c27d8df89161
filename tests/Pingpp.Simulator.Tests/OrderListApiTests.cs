using System.Text.Json.Nodes;

namespace Pingpp.Simulator.Tests;

/// <summary><c>GET /v1/orders</c> as Ping++ documents it: app required, newest first, filters, paging with <c>has_more</c>.</summary>
public sealed class OrderListApiTests
{
    private const string App = "app_1Gqj58ynP0mHeX1q";
    private static readonly long Day0 = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();

    private static IEnumerable<string> Ids(JsonNode list) => ((JsonArray)list["data"]!).Select(o => o!["id"]!.GetValue<string>());

    private static async Task<List<string>> SeedDaysAsync(SimulatorHost sim, int days)
    {
        var ids = new List<string>();
        for (var day = 0; day < days; day++)
        {
            var order = await sim.SeedOrderAsync($$"""{"amount":100,"created":{{Day0 + (day * 86_400)}}}""");
            ids.Add(order["id"]!.GetValue<string>());
        }

        return ids;
    }

    [Fact]
    public async Task Orders_are_listed_newest_first_in_pages_with_has_more_until_the_last()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var seeded = await SeedDaysAsync(sim, 5);

        var (s1, page1) = await sim.GetAsync($"/v1/orders?app={App}&per_page=2&page=1");
        var (_, page2) = await sim.GetAsync($"/v1/orders?app={App}&per_page=2&page=2");
        var (_, page3) = await sim.GetAsync($"/v1/orders?app={App}&per_page=2&page=3");

        Assert.Equal(200, s1);
        Assert.Equal(("list", "/v1/orders"), (page1!["object"]!.GetValue<string>(), page1["url"]!.GetValue<string>()));
        Assert.Equal([seeded[4], seeded[3]], Ids(page1));
        Assert.Equal([seeded[2], seeded[1]], Ids(page2!));
        Assert.Equal([seeded[0]], Ids(page3!));
        Assert.Equal([true, true, false], new[] { page1, page2, page3 }.Select(p => p!["has_more"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task Created_bounds_and_the_refunded_filter_narrow_the_list()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var seeded = await SeedDaysAsync(sim, 4);
        var (refundStatus, _) = await sim.CreateRefundAsync(seeded[1], """{"description":"退货"}""");
        Assert.Equal(200, refundStatus);

        var (_, window) = await sim.GetAsync($"/v1/orders?app={App}&created[gte]={Day0 + 86_400}&created[lt]={Day0 + (3 * 86_400)}");
        var (_, after) = await sim.GetAsync($"/v1/orders?app={App}&created[gt]={Day0 + (2 * 86_400)}");
        var (_, upTo) = await sim.GetAsync($"/v1/orders?app={App}&created[lte]={Day0}");
        var (_, refunded) = await sim.GetAsync($"/v1/orders?app={App}&refunded=true");
        var (_, notRefunded) = await sim.GetAsync($"/v1/orders?app={App}&refunded=false");

        Assert.Equal([seeded[2], seeded[1]], Ids(window!));
        Assert.Equal([seeded[3]], Ids(after!));
        Assert.Equal([seeded[0]], Ids(upTo!));
        Assert.Equal([seeded[1]], Ids(refunded!));
        Assert.Equal([seeded[3], seeded[2], seeded[0]], Ids(notRefunded!));
    }

    [Theory]
    [InlineData("/v1/orders", 400, "app")]
    [InlineData("/v1/orders?app=app_someoneElse00000", 404, "app")]
    [InlineData("/v1/orders?app=" + App + "&per_page=21", 400, "per_page")]
    [InlineData("/v1/orders?app=" + App + "&page=0", 400, "page")]
    [InlineData("/v1/orders?app=" + App + "&paid=yes", 400, "paid")]
    [InlineData("/v1/orders?app=" + App + "&created[gte]=yesterday", 400, "created[gte]")]
    public async Task A_list_request_Ping_plus_plus_would_refuse_gets_its_error_naming_the_parameter(string path, int status, string param)
    {
        await using var sim = await SimulatorHost.StartAsync();

        var (answered, body) = await sim.GetAsync(path);

        Assert.Equal(status, answered);
        Assert.Equal(param, body!["error"]!["param"]!.GetValue<string>());
    }
}
