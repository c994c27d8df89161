using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Refunds.Core.Configuration;
using Refunds.Core.Pingpp;
using Refunds.IntegrationTests.Support;

namespace Refunds.IntegrationTests.PingppClient;

/// <summary>
/// Every error class of the simulated Ping++ surfaces as the <see cref="PingppException"/> callers branch on. Where our
/// client refuses to send a bad request, the test proves both: the client's refusal and the simulator's answer.
/// </summary>
public sealed class PingppErrorTests(SharedSimulator shared) : IClassFixture<SharedSimulator>
{
    private readonly SimulatorServer _sim = shared.Server;

    private static CreateOrderRefundRequest Refund(string? charge = null, long? amount = null) => new()
    {
        Description = "顾客退货",
        Charge = charge,
        ChargeAmount = amount,
        Metadata = new Dictionary<string, string> { [PingppMetadata.RequestId] = "rr_" + Guid.NewGuid().ToString("N") },
    };

    private static string UnknownOrderId() => "20" + RandomNumberGenerator.GetString("0123456789", 17);

    private static string? Text(JsonNode? json, string errorField) => json?["error"]?[errorField]?.GetValue<string>();

    private static void AssertRejected(PingppException ex, int status, string code, string? param)
    {
        // A 401 (key or clock) is refused before anything is done: not sent, retried, never a failed refund.
        Assert.Equal(status == 401 ? PingppErrorKind.NotSent : PingppErrorKind.Rejected, ex.Kind);
        Assert.Equal(status, ex.StatusCode);
        Assert.Equal("invalid_request_error", ex.ErrorType);
        Assert.Equal(code, ex.ErrorCode);
        Assert.Equal(param, ex.Param);
    }

    [Fact]
    public async Task Unsigned_request_is_refused_so_every_accepted_call_was_signature_checked()
    {
        var order = await _sim.Admin.SeedOrderAsync(100);
        using var http = new HttpClient { BaseAddress = _sim.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/orders/{order.Id}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _sim.ApiKey);

        using var response = await http.SendAsync(request);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(401, (int)response.StatusCode);
        Assert.Equal("no_signature", Text(json, "code"));
        Assert.Equal("没有提供签名串，需要在 header 中加入签名串。", Text(json, "message"));
    }

    [Fact]
    public async Task Wrong_api_key_is_refused_with_401_as_not_sent_and_nothing_is_refunded()
    {
        var order = await _sim.Admin.SeedOrderAsync(100);
        var client = _sim.CreateClient(new Dictionary<string, string?>
        {
            [SimulatorServer.ConfigKey(SettingNames.PingppApiKey)] = "sk_test_" + new string('x', 24),
        });

        var create = await Assert.ThrowsAsync<PingppException>(() => client.CreateOrderRefundAsync(order.Id, Refund()));
        var list = await Assert.ThrowsAsync<PingppException>(() => client.ListOrderRefundsAsync(order.Id));

        AssertRejected(create, 401, "invalid_api_key", null);
        AssertRejected(list, 401, "invalid_api_key", null);
        Assert.Empty(await _sim.Admin.GetRefundsAsync(order.Id));
    }

    [Fact]
    public async Task Wrong_signing_key_is_rejected_as_an_invalid_signature()
    {
        var order = await _sim.Admin.SeedOrderAsync(100);
        using var otherKey = RSA.Create(2048);
        var client = _sim.CreateClient(new Dictionary<string, string?>
        {
            [SimulatorServer.ConfigKey(SettingNames.PingppSigningPrivateKey)] = otherKey.ExportPkcs8PrivateKeyPem(),
        });

        var create = await Assert.ThrowsAsync<PingppException>(() => client.CreateOrderRefundAsync(order.Id, Refund()));
        var retrieve = await Assert.ThrowsAsync<PingppException>(() => client.RetrieveOrderAsync(order.Id));

        AssertRejected(create, 401, "invalid_signature", null);
        Assert.Contains("提供了无效的签名", create.Message, StringComparison.Ordinal);
        AssertRejected(retrieve, 401, "invalid_signature", null);
        Assert.Empty(await _sim.Admin.GetRefundsAsync(order.Id));
    }

    [Fact]
    public async Task Unknown_order_is_rejected_with_404_on_every_endpoint()
    {
        var client = _sim.CreateClient();
        var orderId = UnknownOrderId();

        var create = await Assert.ThrowsAsync<PingppException>(() => client.CreateOrderRefundAsync(orderId, Refund()));
        var list = await Assert.ThrowsAsync<PingppException>(() => client.ListOrderRefundsAsync(orderId));
        var retrieve = await Assert.ThrowsAsync<PingppException>(() => client.RetrieveOrderAsync(orderId));

        AssertRejected(create, 404, "resource_missing", "id");
        AssertRejected(list, 404, "resource_missing", "id");
        AssertRejected(retrieve, 404, "resource_missing", "id");
    }

    [Fact]
    public async Task Unknown_refund_is_rejected_with_404()
    {
        var order = await _sim.Admin.SeedOrderAsync(100);

        var ex = await Assert.ThrowsAsync<PingppException>(() => _sim.CreateClient().RetrieveOrderRefundAsync(order.Id, "re_" + new string('Z', 24)));

        AssertRejected(ex, 404, "resource_missing", "refund_id");
    }

    [Fact]
    public async Task Charge_of_another_order_is_rejected_and_nothing_is_refunded()
    {
        var order = await _sim.Admin.SeedOrderAsync(100);
        var other = await _sim.Admin.SeedOrderAsync(100);

        var ex = await Assert.ThrowsAsync<PingppException>(() => _sim.CreateClient().CreateOrderRefundAsync(order.Id, Refund(other.ChargeIds[0])));

        AssertRejected(ex, 400, "resource_missing", "charge");
        Assert.Empty(await _sim.Admin.GetRefundsAsync(order.Id));
        Assert.Empty(await _sim.Admin.GetRefundsAsync(other.Id));
    }

    [Fact]
    public async Task Charge_amount_without_charge_is_refused_by_the_client_and_by_ping_plus_plus()
    {
        var order = await _sim.Admin.SeedOrderAsync(100);

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => _sim.CreateClient().CreateOrderRefundAsync(order.Id, Refund(amount: 50)));
        var (status, json) = await _sim.SendSignedAsync(HttpMethod.Post, $"/v1/orders/{order.Id}/order_refunds", """{"description":"x","charge_amount":50}""");

        Assert.Equal("ChargeAmount", refused.ParamName);
        Assert.Equal(400, status);
        Assert.Equal(("invalid_parameter", "charge_amount"), (Text(json, "code"), Text(json, "param")));
        Assert.Empty(await _sim.Admin.GetRefundsAsync(order.Id));
    }

    [Fact]
    public async Task Missing_description_is_refused_by_the_client_and_by_ping_plus_plus()
    {
        var order = await _sim.Admin.SeedOrderAsync(100);

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => _sim.CreateClient().CreateOrderRefundAsync(order.Id, Refund() with { Description = " " }));
        var (status, json) = await _sim.SendSignedAsync(HttpMethod.Post, $"/v1/orders/{order.Id}/order_refunds", """{"metadata":{}}""");

        Assert.Equal("Description", refused.ParamName);
        Assert.Equal(400, status);
        Assert.Equal(("missing_parameter", "description"), (Text(json, "code"), Text(json, "param")));
        Assert.Empty(await _sim.Admin.GetRefundsAsync(order.Id));
    }

    [Fact]
    public async Task Bad_refund_mode_is_rejected_with_its_param()
    {
        var order = await _sim.Admin.SeedOrderAsync(100);

        // An undefined enum value is the only bad refund_mode the typed request can carry; it goes out as a number.
        var ex = await Assert.ThrowsAsync<PingppException>(() =>
            _sim.CreateClient().CreateOrderRefundAsync(order.Id, Refund() with { RefundMode = (OrderRefundMode)42 }));
        var (status, json) = await _sim.SendSignedAsync(HttpMethod.Post, $"/v1/orders/{order.Id}/order_refunds", """{"description":"x","refund_mode":"to_card"}""");

        AssertRejected(ex, 400, "invalid_parameter", "refund_mode");
        Assert.Equal(400, status);
        Assert.Equal(("invalid_parameter", "refund_mode"), (Text(json, "code"), Text(json, "param")));
        Assert.Empty(await _sim.Admin.GetRefundsAsync(order.Id));
    }

    [Fact]
    public async Task Over_refund_is_rejected_and_leaves_the_refundable_amount_alone()
    {
        var order = await _sim.Admin.SeedOrderAsync(1000, [600, 400]);
        var client = _sim.CreateClient();

        var tooMuch = await Assert.ThrowsAsync<PingppException>(() => client.CreateOrderRefundAsync(order.Id, Refund(order.ChargeIds[1], 401)));
        var exact = await client.CreateOrderRefundAsync(order.Id, Refund(order.ChargeIds[1], 400));
        var chargeDone = await Assert.ThrowsAsync<PingppException>(() => client.CreateOrderRefundAsync(order.Id, Refund(order.ChargeIds[1])));
        await client.CreateOrderRefundAsync(order.Id, Refund());
        var orderDone = await Assert.ThrowsAsync<PingppException>(() => client.CreateOrderRefundAsync(order.Id, Refund()));

        AssertRejected(tooMuch, 400, "refund_amount_exceeded", "charge_amount");
        Assert.Equal(400, Assert.Single(exact.Data).Amount);
        AssertRejected(chargeDone, 400, "charge_refunded", "charge");
        AssertRejected(orderDone, 400, "order_refunded", null);
        Assert.Equal(new[] { 400L, 600L }, (await _sim.Admin.GetRefundsAsync(order.Id)).Select(r => r.Amount));
    }

    [Theory]
    [InlineData(0, 10, "page", "page")]
    [InlineData(1, 21, "per_page", "perPage")]
    [InlineData(1, 0, "per_page", "perPage")]
    public async Task Bad_paging_is_refused_by_the_client_and_by_ping_plus_plus(int page, int perPage, string badParam, string clientParamName)
    {
        var order = await _sim.Admin.SeedOrderAsync(100);

        var refused = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _sim.CreateClient().ListOrderRefundsAsync(order.Id, page, perPage));
        var (status, json) = await _sim.SendSignedAsync(HttpMethod.Get, $"/v1/orders/{order.Id}/order_refunds?page={page}&per_page={perPage}");

        Assert.Equal(clientParamName, refused.ParamName);
        Assert.Equal(400, status);
        Assert.Equal(("invalid_request_error", "invalid_parameter", badParam), (Text(json, "type"), Text(json, "code"), Text(json, "param")));
    }

    [Fact]
    public async Task A_request_the_simulator_accepts_raw_is_also_accepted_through_the_client()
    {
        // Guards the raw-request proofs above: SendSignedAsync signs like our client, so a 400 there is about the body.
        var order = await _sim.Admin.SeedOrderAsync(100);

        var (status, json) = await _sim.SendSignedAsync(HttpMethod.Post, $"/v1/orders/{order.Id}/order_refunds",
            $$"""{"description":"x","charge":"{{order.ChargeIds[0]}}","charge_amount":30}""");

        Assert.Equal(200, status);
        Assert.Equal(30, json!["data"]![0]!["amount"]!.GetValue<long>());
        Assert.Equal(30, Assert.Single((await _sim.CreateClient().ListOrderRefundsAsync(order.Id)).Data).Amount);
    }
}
