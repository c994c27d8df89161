using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Refunds.IntegrationTests.RefundRequests;

using Refunds.Core.Ledger;

/// <summary>The refund HTTP API through the dev host, against the simulator.</summary>
public sealed class RefundApiTests
{
    private static async Task<(HttpStatusCode Status, JsonNode? Json, HttpResponseMessage Response)> PostAsync(
        RefundAppHarness app, string path, string body, string? idempotencyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        var response = await app.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response);
    }

    [Fact]
    public async Task Submit_validates_records_enqueues_and_the_status_and_ping_views_follow_the_refund()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var order = await app.Sim.SeedOrderAsync(800);
        var key = "api-" + Guid.NewGuid().ToString("N");
        var body = $$"""{"description":"接口退款","charge":"{{order.ChargeIds[0]}}","charge_amount":300}""";

        var bad = await PostAsync(app, $"/api/orders/{order.Id}/refunds", """{"charge_amount":0,"colour":"red"}""", key + "-bad");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        var fields = bad.Json!["reasons"]!.AsArray().Select(r => r!["field"]!.GetValue<string>()).ToList();
        Assert.Contains("description", fields);
        Assert.Contains("charge_amount", fields);
        Assert.Contains("colour", fields);
        Assert.Null(await app.Ledger.GetRequestAsync(key + "-bad", CancellationToken.None));

        var accepted = await PostAsync(app, $"/api/orders/{order.Id}/refunds", body, key);
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        Assert.Equal((key, "received"), (accepted.Json!["request_id"]!.GetValue<string>(), accepted.Json["status"]!.GetValue<string>()));
        Assert.Equal($"/api/orders/{order.Id}/refunds/{key}", accepted.Response.Headers.Location!.OriginalString);

        var record = await app.WaitForStateAsync(key, RefundRequestState.Submitted);
        var refundId = Assert.Single(record.RefundIds);

        var repeat = await PostAsync(app, $"/api/orders/{order.Id}/refunds", body, key);
        Assert.Equal((HttpStatusCode.OK, "submitted"), (repeat.Status, repeat.Json!["status"]!.GetValue<string>()));
        var conflict = await PostAsync(app, $"/api/orders/{order.Id}/refunds", body.Replace("300", "301", StringComparison.Ordinal), key);
        Assert.Equal(HttpStatusCode.Conflict, conflict.Status);

        var view = await app.GetJsonAsync($"/api/orders/{order.Id}/refunds/{key}");
        Assert.Equal(("submitted", 300L, refundId), (view!["status"]!.GetValue<string>(), view["amount_refunded"]!.GetValue<long>(), view["refunds"]![0]!["id"]!.GetValue<string>()));
        var byRefund = await app.GetJsonAsync($"/api/orders/{order.Id}/refunds/{refundId}");
        Assert.Equal((key, "pending"), (byRefund!["request_id"]!.GetValue<string>(), byRefund["status"]!.GetValue<string>()));
        var list = await app.GetJsonAsync($"/api/orders/{order.Id}/refunds");
        Assert.Equal(key, list!["requests"]![0]!["request_id"]!.GetValue<string>());

        await app.Sim.SettleAsync(order.Id);
        var livePath = $"/api/manage/pingpp/orders/{order.Id}/refunds";
        var live = await app.GetJsonAsync($"{livePath}/{refundId}", app.AdminClient);
        Assert.Equal((refundId, "succeeded"), (live!["id"]!.GetValue<string>(), live["status"]!.GetValue<string>()));
        var liveList = await app.GetJsonAsync(livePath, app.AdminClient);
        Assert.Equal(refundId, Assert.Single(liveList!["data"]!.AsArray())!["id"]!.GetValue<string>());
        var liveByRequest = await app.GetJsonAsync($"{livePath}/{key}", app.AdminClient);
        Assert.Equal(refundId, Assert.Single(liveByRequest!["data"]!.AsArray())!["id"]!.GetValue<string>());
        Assert.Single(await app.Sim.GetRefundsAsync(order.Id));

        using var unknown = await app.Client.GetAsync($"/api/orders/{order.Id}/refunds/nobody-{key}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var unknownAtPing = await app.AdminClient.GetAsync($"{livePath}/re_doesNotExist00000000000");
        Assert.Equal(HttpStatusCode.NotFound, unknownAtPing.StatusCode);
        Assert.DoesNotContain("at ", await unknownAtPing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_live_Ping_view_refuses_a_function_key_and_reads_at_most_the_configured_pages()
    {
        await using var app = await RefundAppHarness.StartAsync(settings: new Dictionary<string, string?> { ["PingppLiveView:MaxPages"] = "2" });
        var order = await app.Sim.SeedOrderAsync(100);
        for (var i = 0; i < 45; i++)
        {
            await app.Sim.DashboardRefundAsync(order.Id, order.ChargeIds[0], 1); // 45 refunds: three pages of 20 at Ping++
        }

        var livePath = $"/api/manage/pingpp/orders/{order.Id}/refunds";
        var listCalls = async () => (await app.Sim.GetApiCallsAsync()).Count(c => c.Path.Contains("/order_refunds", StringComparison.Ordinal));
        var callsBefore = await listCalls();

        // A function key (host default key) is not an operator: refused before any Ping++ call.
        using var byFunctionKey = await app.Client.GetAsync(livePath);
        Assert.Equal(HttpStatusCode.Unauthorized, byFunctionKey.StatusCode);
        using var oneByFunctionKey = await app.Client.GetAsync($"{livePath}/re_doesNotExist00000000000");
        Assert.Equal(HttpStatusCode.Unauthorized, oneByFunctionKey.StatusCode);
        // The refund API's own routes read the ledger only, and say where the live view went.
        using var moved = await app.Client.GetAsync($"/api/orders/{order.Id}/refunds?source=pingpp");
        Assert.Equal(HttpStatusCode.BadRequest, moved.StatusCode);
        Assert.Contains($"GET /api/manage/pingpp/orders/{order.Id}/refunds", await moved.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(callsBefore, await listCalls());

        var list = await app.GetJsonAsync(livePath, app.AdminClient);

        Assert.Equal(2, await listCalls() - callsBefore);
        Assert.Equal(40, list!["data"]!.AsArray().Count);
        Assert.Equal((true, true, 2), (list["has_more"]!.GetValue<bool>(), list["stopped_early"]!.GetValue<bool>(), list["pages_read"]!.GetValue<int>()));
        Assert.Contains("PingppLiveView__MaxPages", list["stopped_reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("header", "a|b")]
    [InlineData("header", "a~b")]
    [InlineData("header", "a b")]
    [InlineData("body", "a|b")]
    [InlineData("body", "tab\there")]
    public async Task A_request_id_the_ledger_cannot_key_gets_a_400_naming_the_field_and_nothing_is_recorded(string where, string requestId)
    {
        await using var app = await RefundAppHarness.StartAsync();
        var order = await app.Sim.SeedOrderAsync(500);
        var idJson = System.Text.Json.JsonSerializer.Serialize(requestId);
        var body = where == "body"
            ? $$"""{"request_id":{{idJson}},"description":"退款","charge":"{{order.ChargeIds[0]}}","charge_amount":100}"""
            : $$"""{"description":"退款","charge":"{{order.ChargeIds[0]}}","charge_amount":100}""";

        var answer = await PostAsync(app, $"/api/orders/{order.Id}/refunds", body, where == "header" ? requestId : null);

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        var reason = Assert.Single(answer.Json!["reasons"]!.AsArray());
        Assert.Equal(where == "header" ? "Idempotency-Key" : "request_id", reason!["field"]!.GetValue<string>());
        Assert.StartsWith("must not contain", reason["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(await app.Sim.GetRefundsAsync(order.Id));
    }

    [Fact]
    public async Task A_description_with_a_bidirectional_override_gets_a_400_naming_description()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var order = await app.Sim.SeedOrderAsync(500);
        var body = $$"""{"description":"退款\u202Eexe.txt","charge":"{{order.ChargeIds[0]}}","charge_amount":100}""";

        var answer = await PostAsync(app, $"/api/orders/{order.Id}/refunds", body, "bidi-" + Guid.NewGuid().ToString("N"));

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        var reason = Assert.Single(answer.Json!["reasons"]!.AsArray());
        Assert.Equal("description", reason!["field"]!.GetValue<string>());
        Assert.Contains("U+202E", reason["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_submit_without_request_id_or_idempotency_key_is_refused_with_400_naming_both_and_nothing_is_recorded_or_sent()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var order = await app.Sim.SeedOrderAsync(800);
        var body = $$"""{"description":"无编号","charge":"{{order.ChargeIds[0]}}","charge_amount":300}""";

        // Twice, as a client retrying after a lost answer would: neither may become a request.
        foreach (var _ in new[] { 1, 2 })
        {
            var refused = await PostAsync(app, $"/api/orders/{order.Id}/refunds", body, idempotencyKey: null);
            Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
            var reason = Assert.Single(refused.Json!["reasons"]!.AsArray());
            Assert.Equal("request_id", reason!["field"]!.GetValue<string>());
            Assert.Contains("Idempotency-Key", reason["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.Empty((await app.Ledger.ListOrderAsync(order.Id, CancellationToken.None)).Requests);
        Assert.Equal(0, await RefundAppHarness.CountAsync(app.Queue));
        Assert.Empty(await app.Sim.GetRefundsAsync(order.Id));
    }
}
