using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Refunds.Core.Pingpp;
using Refunds.Core.Signing;

namespace Refunds.IntegrationTests.PingppHttp;

using PingppClient = Refunds.Core.Pingpp.PingppClient;

/// <summary>PingppClient against a real Kestrel server on loopback (moved here from the unit tests: it starts a server).</summary>
public sealed class PingppClientHttpTests : IAsyncLifetime
{
    private const string ApiKey = "sk_test_do_not_log_me_1234567890";
    private const string OrderId = "2011609290000001291";
    private const string RefundJson = """{"id":"re_vjz1a1DCufb5n9erLK48SGC0","object":"refund","order_no":"r1","amount":100,"created":1496728534,"succeed":false,"status":"pending","time_succeed":null,"description":"d","charge":"ch_1","metadata":{"refund_request_id":"rr_1"}}""";

    private ScriptedPingppServer _server = null!;
    private readonly CapturingLogger<PingppClient> _logger = new();
    private readonly List<string> _signatures = [];

    public async Task InitializeAsync() => _server = await ScriptedPingppServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private PingppClient Client(Action<PingppClientOptions>? configure = null, TimeProvider? time = null, string? apiBase = null)
    {
        var options = new PingppClientOptions
        {
            ApiBase = apiBase ?? _server.BaseAddress,
            ApiKey = ApiKey,
            SigningPrivateKey = TestKeys.MerchantPkcs1Path,
            RequestTimeout = TimeSpan.FromSeconds(20),
            ReadRetryBaseDelay = TimeSpan.FromMilliseconds(5),
            ReadRetryMaxDelay = TimeSpan.FromMilliseconds(20),
        };
        configure?.Invoke(options);
        return new PingppClient(new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, PemRequestSigner.FromPem(options.SigningPrivateKey),
            Options.Create(options), time ?? TimeProvider.System, _logger);
    }

    private static CreateOrderRefundRequest Request() => new()
    {
        Description = "顾客退货",
        Charge = "ch_1",
        ChargeAmount = 100,
        RefundMode = OrderRefundMode.ToSource,
        Metadata = new Dictionary<string, string> { [PingppMetadata.RequestId] = "rr_1" },
    };

    private static bool SignatureVerifies(ReceivedRequest r)
    {
        var toSign = PingppRequestSignature.BuildStringToSign(r.Body, r.RawTarget, long.Parse(r.Header("Pingplusplus-Request-Timestamp")!));
        using var publicKey = TestKeys.MerchantPublic();
        return publicKey.VerifyData(toSign, Convert.FromBase64String(r.Header("Pingplusplus-Signature")!), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    private void AssertNoSecretsLogged(params ReceivedRequest[] requests)
    {
        var all = string.Join("\n", _logger.Lines);
        Assert.DoesNotContain(ApiKey, all);
        foreach (var r in requests)
        {
            Assert.DoesNotContain(r.Header("Pingplusplus-Signature")!, all);
        }
    }

    [Fact]
    public async Task Create_sends_the_exact_signed_bytes_with_ping_plus_plus_headers()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_123));
        _server.Reply(200, $$"""{"object":"list","url":"/v1/orders/{{OrderId}}/order_refunds","has_more":false,"data":[{{RefundJson}}]}""");

        var result = await Client(time: time).CreateOrderRefundAsync(OrderId, Request());

        var received = Assert.Single(_server.Requests);
        Assert.Equal("POST", received.Method);
        Assert.Equal($"/v1/orders/{OrderId}/order_refunds", received.RawTarget);
        Assert.Equal("Bearer " + ApiKey, received.Header("Authorization"));
        Assert.Equal("application/json;charset=utf-8", received.Header("Content-Type"));
        Assert.Equal("1700000123", received.Header("Pingplusplus-Request-Timestamp"));
        Assert.Equal("""{"description":"顾客退货","charge":"ch_1","charge_amount":100,"refund_mode":"to_source","metadata":{"refund_request_id":"rr_1"}}""",
            Encoding.UTF8.GetString(received.Body));
        Assert.True(SignatureVerifies(received));

        var refund = Assert.Single(result.Data);
        Assert.Equal("re_vjz1a1DCufb5n9erLK48SGC0", refund.Id);
        Assert.Equal("rr_1", refund.RequestId);
        Assert.Equal(PingppRefundStatus.Pending, refund.Status);
        AssertNoSecretsLogged(received);
    }

    [Fact]
    public async Task A_tampered_body_would_not_verify()
    {
        _server.Reply(200, $$"""{"object":"list","has_more":false,"data":[{{RefundJson}}]}""");
        await Client().CreateOrderRefundAsync(OrderId, Request());
        var received = Assert.Single(_server.Requests);

        var tampered = received with { Body = [.. received.Body, (byte)' '] };

        Assert.False(SignatureVerifies(tampered));
    }

    [Fact]
    public async Task List_signs_the_path_and_query_as_received_and_sends_no_body()
    {
        _server.Reply(200, $$"""{"object":"list","has_more":false,"data":[{{RefundJson}}]}""");

        var list = await Client().ListOrderRefundsAsync(OrderId, page: 2, perPage: 20);

        var received = Assert.Single(_server.Requests);
        Assert.Equal("GET", received.Method);
        Assert.Equal($"/v1/orders/{OrderId}/order_refunds?page=2&per_page=20", received.RawTarget);
        Assert.Empty(received.Body);
        Assert.Null(received.Header("Content-Type"));
        Assert.True(SignatureVerifies(received));
        Assert.Single(list.Data);
    }

    [Fact]
    public async Task Retrieve_refund_and_order_use_their_paths()
    {
        _server.Reply(200, RefundJson);
        _server.Reply(200, """{"id":"2011609290000001291","object":"order","status":"paid","paid":true,"amount":100,"actual_amount":100,"amount_paid":100,"amount_refunded":0,"charges":{"object":"list","has_more":false,"data":[{"id":"ch_1","amount":100}]}}""");
        var client = Client();

        var refund = await client.RetrieveOrderRefundAsync(OrderId, "re_vjz1a1DCufb5n9erLK48SGC0");
        var order = await client.RetrieveOrderAsync(OrderId);

        Assert.Equal("re_vjz1a1DCufb5n9erLK48SGC0", refund.Id);
        Assert.Equal("paid", order.Status);
        Assert.Equal("ch_1", order.Charges!.Data[0].Id);
        Assert.Equal([$"/v1/orders/{OrderId}/order_refunds/re_vjz1a1DCufb5n9erLK48SGC0", $"/v1/orders/{OrderId}"], _server.Requests.Select(r => r.RawTarget));
        Assert.All(_server.Requests, r => Assert.True(SignatureVerifies(r)));
    }

    [Theory]
    [InlineData(400, "invalid_request_error")]
    [InlineData(404, "invalid_request_error")]
    public async Task Definite_4xx_on_create_is_rejected_and_sent_once(int status, string type)
    {
        _server.Reply(status, $$$"""{"error":{"type":"{{{type}}}","message":"不行","code":"c{{{status}}}","param":"charge"}}""");

        var ex = await Assert.ThrowsAsync<PingppException>(() => Client().CreateOrderRefundAsync(OrderId, Request()));

        Assert.Equal(PingppErrorKind.Rejected, ex.Kind);
        Assert.Equal(status, ex.StatusCode);
        Assert.Equal(type, ex.ErrorType);
        Assert.Equal($"c{status}", ex.ErrorCode);
        Assert.Equal("charge", ex.Param);
        Assert.DoesNotContain(ApiKey, ex.ToString());
        var received = Assert.Single(_server.Requests);
        Assert.DoesNotContain(received.Header("Pingplusplus-Signature")!, ex.ToString());
        AssertNoSecretsLogged(received);
    }

    [Fact]
    public async Task A_403_rate_limit_body_is_rate_limited()
    {
        _server.Reply(403, """{"error":{"type":"invalid_request_error","message":"Too many requests: rate limit exceeded"}}""");

        var ex = await Assert.ThrowsAsync<PingppException>(() => Client().CreateOrderRefundAsync(OrderId, Request()));

        Assert.Equal(PingppErrorKind.RateLimited, ex.Kind);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task A_429_on_create_is_rate_limited_with_retry_after_and_not_retried()
    {
        _server.Reply(429, """{"error":{"type":"api_error","message":"slow down"}}""", ("Retry-After", "9"));

        var ex = await Assert.ThrowsAsync<PingppException>(() => Client().CreateOrderRefundAsync(OrderId, Request()));

        Assert.Equal(PingppErrorKind.RateLimited, ex.Kind);
        Assert.Equal(TimeSpan.FromSeconds(9), ex.RetryAfter);
        Assert.Single(_server.Requests);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    public async Task A_5xx_on_create_is_outcome_unknown_and_the_post_is_sent_exactly_once(int status)
    {
        _server.Reply(status, "<html>Bad Gateway</html>");
        _server.Reply(200, $$"""{"object":"list","has_more":false,"data":[{{RefundJson}}]}""");

        var ex = await Assert.ThrowsAsync<PingppException>(() => Client().CreateOrderRefundAsync(OrderId, Request()));

        Assert.Equal(PingppErrorKind.OutcomeUnknown, ex.Kind);
        Assert.Equal(status, ex.StatusCode);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task A_create_that_hangs_past_the_request_timeout_is_outcome_unknown()
    {
        _server.Hang();

        var ex = await Assert.ThrowsAsync<PingppException>(() =>
            Client(o => o.RequestTimeout = TimeSpan.FromSeconds(1)).CreateOrderRefundAsync(OrderId, Request()));

        Assert.Equal(PingppErrorKind.OutcomeUnknown, ex.Kind);
        Assert.Null(ex.StatusCode);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task An_unreadable_2xx_on_create_is_outcome_unknown()
    {
        _server.Reply(200, "<html>maintenance</html>");

        var ex = await Assert.ThrowsAsync<PingppException>(() => Client().CreateOrderRefundAsync(OrderId, Request()));

        Assert.Equal(PingppErrorKind.OutcomeUnknown, ex.Kind);
        Assert.Equal(200, ex.StatusCode);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public async Task An_answer_with_a_body_over_the_cap_is_outcome_unknown_and_not_read_on(bool create, bool lengthDeclared)
    {
        var huge = $$"""{"object":"list","has_more":false,"data":[{{RefundJson}}],"padding":"{{new string('x', 40_000)}}"}""";
        (string, string)[] headers = lengthDeclared ? [("Content-Length", Encoding.UTF8.GetByteCount(huge).ToString(System.Globalization.CultureInfo.InvariantCulture))] : [];
        _server.Reply(200, huge, headers);
        _server.Reply(200, huge, headers);
        var client = Client(o => { o.MaxResponseBytes = 32 * 1024; o.MaxReadRetries = 0; });

        var ex = await Assert.ThrowsAsync<PingppException>(() => create
            ? client.CreateOrderRefundAsync(OrderId, Request())
            : client.ListAllOrderRefundsAsync(OrderId));

        Assert.Equal(PingppErrorKind.OutcomeUnknown, ex.Kind);
        Assert.Contains("over 32768 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task A_body_under_the_cap_is_read_whole()
    {
        var page = $$"""{"object":"list","has_more":false,"data":[{{RefundJson}}],"padding":"{{new string('x', 20_000)}}"}""";
        _server.Reply(200, page);

        var refunds = await Client(o => o.MaxResponseBytes = 32 * 1024).ListAllOrderRefundsAsync(OrderId);

        Assert.Equal("re_vjz1a1DCufb5n9erLK48SGC0", Assert.Single(refunds).Id);
    }

    [Fact]
    public async Task Caller_cancellation_surfaces_as_operation_canceled()
    {
        _server.Hang();
        using var cts = new CancellationTokenSource();
        var call = Client().CreateOrderRefundAsync(OrderId, Request(), cts.Token);
        await _server.FirstRequestReceived.Task;

        await cts.CancelAsync();

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.IsNotType<PingppException>(ex);
    }

    [Theory]
    [InlineData(503, null, "busy")]
    [InlineData(429, "0", """{"error":{"type":"api_error","message":"slow down"}}""")]
    [InlineData(403, null, """{"error":{"type":"invalid_request_error","message":"Too many requests: rate limit exceeded"}}""")]
    public async Task A_create_never_goes_through_the_retry_pipeline_that_retries_the_same_failure_on_a_get(int status, string? retryAfter, string body)
    {
        (string, string)[] headers = retryAfter is null ? [] : [("Retry-After", retryAfter)];
        var client = Client(o => o.MaxReadRetries = 5);
        _server.Reply(status, body, headers);
        _server.Reply(200, RefundJson);

        var refund = await client.RetrieveOrderRefundAsync(OrderId, "re_vjz1a1DCufb5n9erLK48SGC0");
        Assert.Equal("re_vjz1a1DCufb5n9erLK48SGC0", refund.Id);
        Assert.Equal(2, _server.Requests.Count);

        _server.Reply(status, body, headers);
        _server.Reply(200, $$"""{"object":"list","has_more":false,"data":[{{RefundJson}}]}""");
        var ex = await Assert.ThrowsAsync<PingppException>(() => client.CreateOrderRefundAsync(OrderId, Request()));

        Assert.Contains(ex.Kind, new[] { PingppErrorKind.OutcomeUnknown, PingppErrorKind.RateLimited });
        Assert.Equal(status, ex.StatusCode);
        Assert.Equal(["GET", "GET", "POST"], _server.Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task A_get_recovers_after_two_503s_and_honours_retry_after()
    {
        var time = new RecordingTimeProvider();
        _server.Reply(503, "busy");
        _server.Reply(503, "busy", ("Retry-After", "1"));
        _server.Reply(200, RefundJson);

        var refund = await Client(time: time).RetrieveOrderRefundAsync(OrderId, "re_vjz1a1DCufb5n9erLK48SGC0");

        Assert.Equal("re_vjz1a1DCufb5n9erLK48SGC0", refund.Id);
        Assert.Equal(3, _server.Requests.Count);
        Assert.All(_server.Requests, r => Assert.True(SignatureVerifies(r)));
        // The Retry-After wait went through the injected clock, at exactly the server's value.
        Assert.Contains(TimeSpan.FromSeconds(1), time.DueTimes);
    }

    [Fact]
    public async Task A_get_gives_up_after_max_read_retries()
    {
        for (var i = 0; i < 5; i++)
        {
            _server.Reply(500, """{"error":{"type":"api_error","message":"boom"}}""");
        }

        var ex = await Assert.ThrowsAsync<PingppException>(() => Client(o => o.MaxReadRetries = 2).RetrieveOrderAsync(OrderId));

        Assert.Equal(PingppErrorKind.OutcomeUnknown, ex.Kind);
        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task A_get_that_times_out_is_retried()
    {
        _server.Hang();
        _server.Reply(200, RefundJson);

        var refund = await Client(o => o.RequestTimeout = TimeSpan.FromSeconds(1)).RetrieveOrderRefundAsync(OrderId, "re_vjz1a1DCufb5n9erLK48SGC0");

        Assert.Equal("re_vjz1a1DCufb5n9erLK48SGC0", refund.Id);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task A_get_rejection_is_not_retried()
    {
        _server.Reply(404, """{"error":{"type":"invalid_request_error","message":"No such order"}}""");
        _server.Reply(200, RefundJson);

        var ex = await Assert.ThrowsAsync<PingppException>(() => Client().RetrieveOrderRefundAsync(OrderId, "re_x"));

        Assert.Equal(PingppErrorKind.Rejected, ex.Kind);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task A_retry_after_longer_than_the_cap_is_returned_to_the_caller()
    {
        _server.Reply(429, "", ("Retry-After", "120"));
        _server.Reply(200, RefundJson);

        var ex = await Assert.ThrowsAsync<PingppException>(() => Client().RetrieveOrderRefundAsync(OrderId, "re_x"));

        Assert.Equal(PingppErrorKind.RateLimited, ex.Kind);
        Assert.Equal(TimeSpan.FromSeconds(120), ex.RetryAfter);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task The_paging_helper_walks_pages_while_has_more()
    {
        string Refund(string id) => RefundJson.Replace("re_vjz1a1DCufb5n9erLK48SGC0", id);
        _server.Reply(200, $$"""{"object":"list","has_more":true,"data":[{{Refund("re_a")}},{{Refund("re_b")}}]}""");
        _server.Reply(200, $$"""{"object":"list","has_more":true,"data":[{{Refund("re_b")}},{{Refund("re_c")}}]}""");
        _server.Reply(200, $$"""{"object":"list","has_more":false,"data":[{{Refund("re_d")}}]}""");

        var all = await Client().ListAllOrderRefundsAsync(OrderId);

        Assert.Equal(["re_a", "re_b", "re_c", "re_d"], all.Select(r => r.Id));
        Assert.Equal(
            new[] { 1, 2, 3 }.Select(p => $"/v1/orders/{OrderId}/order_refunds?page={p}&per_page=20"),
            _server.Requests.Select(r => r.RawTarget));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("..")]
    [InlineData("%2F")]
    [InlineData("订单")]
    public async Task Ids_that_need_escaping_are_refused_before_any_call(string id)
    {
        var client = Client();

        await Assert.ThrowsAsync<ArgumentException>(() => client.CreateOrderRefundAsync(id, Request()));
        await Assert.ThrowsAsync<ArgumentException>(() => client.RetrieveOrderRefundAsync(OrderId, id));
        await Assert.ThrowsAsync<ArgumentException>(() => client.ListOrderRefundsAsync(id));

        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task A_refused_connection_is_not_sent()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var ex = await Assert.ThrowsAsync<PingppException>(() =>
            Client(apiBase: $"http://127.0.0.1:{port}").CreateOrderRefundAsync(OrderId, Request()));

        Assert.Equal(PingppErrorKind.NotSent, ex.Kind);
    }

    [Fact]
    public async Task A_signer_failure_is_not_sent_and_never_reaches_the_server()
    {
        var options = new PingppClientOptions { ApiBase = _server.BaseAddress, ApiKey = ApiKey };
        var client = new PingppClient(new HttpClient(), new FailingSigner(), Options.Create(options), TimeProvider.System, _logger);

        var ex = await Assert.ThrowsAsync<PingppException>(() => client.CreateOrderRefundAsync(OrderId, Request()));

        Assert.Equal(PingppErrorKind.NotSent, ex.Kind);
        Assert.IsType<RequestSigningException>(ex.InnerException);
        Assert.Empty(_server.Requests);
    }

    private sealed class FailingSigner : IRequestSigner
    {
        public string KeyDescription => "keyvault:https://x.vault.azure.net/keys/k/v";

        public ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
            => throw new RequestSigningException("Key Vault throttled", isTransient: true, status: 429);
    }
}
