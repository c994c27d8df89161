using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Pingpp.Simulator.Tests;

public sealed class SignatureTests
{
    private static string Id(JsonNode node) => node["id"]!.GetValue<string>();

    private static HttpRequestMessage Unsigned(HttpMethod method, string target, string? body = null)
    {
        var request = new HttpRequestMessage(method, target);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SimulatorHost.ApiKey);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return request;
    }

    [Fact]
    public async Task Signed_post_and_get_with_query_are_accepted()
    {
        await using var sim = await SimulatorHost.StartAsync(signed: true);
        var orderId = Id(await sim.SeedOrderAsync());

        var created = await sim.CreateRefundAsync(orderId, """{"description":"签名退款","metadata":{"k":"v"}}""");
        var listed = await sim.GetAsync($"/v1/orders/{orderId}/order_refunds?page=1&per_page=20");

        Assert.Equal(200, created.Status);
        Assert.Equal(200, listed.Status);
        Assert.Equal(2, listed.Json!["data"]!.AsArray().Count);
    }

    [Fact]
    public async Task The_signature_covers_the_target_exactly_as_sent_including_a_bare_question_mark()
    {
        // The Node SDK sends GETs as "path?" with an empty query and signs that string.
        await using var sim = await SimulatorHost.StartAsync(signed: true);
        var orderId = Id(await sim.SeedOrderAsync());

        var withMark = await sim.GetAsync($"/v1/orders/{orderId}?");
        var request = Unsigned(HttpMethod.Get, $"/v1/orders/{orderId}?");
        var ts = MerchantSigner.Now();
        request.Headers.Add("Pingplusplus-Request-Timestamp", ts);
        request.Headers.Add("Pingplusplus-Signature", sim.Signer!.Sign("", $"/v1/orders/{orderId}", ts));
        var signedWithoutMark = await sim.SendAsync(request);

        Assert.Equal(200, withMark.Status);
        Assert.Equal(401, signedWithoutMark.Status);
    }

    [Fact]
    public async Task Missing_signature_is_401_with_ping_plus_plus_message()
    {
        await using var sim = await SimulatorHost.StartAsync(signed: true);
        var orderId = Id(await sim.SeedOrderAsync());
        var request = Unsigned(HttpMethod.Post, $"/v1/orders/{orderId}/order_refunds", """{"description":"x"}""");
        request.Headers.Add("Pingplusplus-Request-Timestamp", MerchantSigner.Now());

        var (status, json) = await sim.SendAsync(request);

        Assert.Equal(401, status);
        Assert.Equal("没有提供签名串，需要在 header 中加入签名串。", json!["error"]!["message"]!.GetValue<string>());
        Assert.Equal("invalid_request_error", json["error"]!["type"]!.GetValue<string>());
        Assert.Empty(await sim.AdminRefundsAsync());
    }

    public static TheoryData<string> BadSignatureCases => ["other_key", "other_path", "tampered_body", "not_base64", "no_timestamp"];

    [Theory]
    [MemberData(nameof(BadSignatureCases))]
    public async Task Bad_signature_is_401_invalid_signature_and_creates_nothing(string variant)
    {
        await using var sim = await SimulatorHost.StartAsync(signed: true);
        var orderId = Id(await sim.SeedOrderAsync());
        var other = Id(await sim.SeedOrderAsync());
        var path = $"/v1/orders/{orderId}/order_refunds";
        const string body = """{"description":"x"}""";
        var ts = MerchantSigner.Now();
        using var otherKey = MerchantSigner.Random();
        var signature = variant switch
        {
            "other_key" => otherKey.Sign(body, path, ts),
            "other_path" => sim.Signer!.Sign(body, $"/v1/orders/{other}/order_refunds", ts),
            "tampered_body" => sim.Signer!.Sign("""{"description":"y"}""", path, ts),
            "not_base64" => "%%%",
            _ => sim.Signer!.Sign(body, path, ts),
        };
        var request = Unsigned(HttpMethod.Post, path, body);
        if (variant != "no_timestamp") request.Headers.Add("Pingplusplus-Request-Timestamp", ts);
        request.Headers.Add("Pingplusplus-Signature", signature);

        var (status, json) = await sim.SendAsync(request);

        Assert.Equal(401, status);
        if (variant != "no_timestamp") Assert.Equal("提供了无效的签名", json!["error"]!["message"]!.GetValue<string>());
        Assert.Empty(await sim.AdminRefundsAsync());
    }

    [Theory]
    [InlineData(-600)]
    [InlineData(600)]
    public async Task Timestamp_outside_the_max_age_either_way_is_401(int offsetSeconds)
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.SignatureMaxAge = TimeSpan.FromMinutes(5), signed: true);
        var orderId = Id(await sim.SeedOrderAsync());

        var (status, json) = await sim.SendAsync(sim.Request(HttpMethod.Post, $"/v1/orders/{orderId}/order_refunds",
            """{"description":"x"}""", MerchantSigner.Now(TimeSpan.FromSeconds(offsetSeconds))));

        Assert.Equal(401, status);
        Assert.Equal("request_expired", json!["error"]!["code"]!.GetValue<string>());
        Assert.Empty(await sim.AdminRefundsAsync());
    }

    [Fact]
    public async Task Without_a_merchant_key_unsigned_requests_are_accepted()
    {
        await using var sim = await SimulatorHost.StartAsync();
        var orderId = Id(await sim.SeedOrderAsync());

        var (status, _) = await sim.SendAsync(Unsigned(HttpMethod.Get, $"/v1/orders/{orderId}"));

        Assert.Equal(200, status);
    }
}
