using System.Text.Json;
using Refunds.Cli;
using Refunds.Core.Pingpp;
using Refunds.Core.Refunds;

namespace Refunds.IntegrationTests.Cli;

/// <summary><c>refunds submit</c>, <c>show</c> and <c>demo</c> against a scripted Kestrel standing in for the app.</summary>
public sealed class HttpCommandTests : IAsyncLifetime
{
    private const string OrderId = "2011708070000007521";
    private ScriptedAppServer _app = null!;

    public async Task InitializeAsync() => _app = await ScriptedAppServer.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Without_key_the_key_comes_from_REFUNDS_KEY_else_KEY_and_a_401_names_all_three()
    {
        _app.Reply(401, "");
        var refused = await CliRun.RunWithEnvironmentAsync(new Dictionary<string, string> { ["KEY"] = "fk-from-KEY" }, "show", OrderId, "--app", _app.BaseAddress);
        _app.Reply(401, "");
        await CliRun.RunWithEnvironmentAsync(new Dictionary<string, string> { ["KEY"] = "fk-from-KEY", ["REFUNDS_KEY"] = "fk-from-REFUNDS_KEY" }, "show", OrderId, "--app", _app.BaseAddress);

        var sent = _app.Requests.Select(r => r.Header("x-functions-key")).ToList();
        Assert.Equal(["fk-from-KEY", "fk-from-REFUNDS_KEY"], sent);
        Assert.Equal(5, refused.ExitCode);
        Assert.Contains("--key, REFUNDS_KEY or KEY", refused.Err);
    }

    [Fact]
    public async Task Submit_posts_the_fields_with_the_request_id_as_idempotency_key_and_the_function_key()
    {
        _app.Reply(202, """{"request_id":"req-http-1","status":"received"}""", ("Location", $"/api/orders/{OrderId}/refunds/req-http-1"));

        var run = await CliRun.RunAsync(
            "submit", OrderId, "--description", "退款 partial", "--charge", "ch_L8qn10mLmr1GS8e5OODmHaL4", "--amount", "300",
            "--refund-mode", "to_balance", "--metadata", "b=2", "a=1", "--request-id", "req-http-1",
            "--app", _app.BaseAddress, "--key", "fk-secret-1");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("req-http-1", run.Out.Trim());
        Assert.Contains("accepted (202, received)", run.Err);
        Assert.Contains($"{_app.BaseAddress}/api/orders/{OrderId}/refunds/req-http-1", run.Err);
        var request = Assert.Single(_app.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal($"/api/orders/{OrderId}/refunds", request.RawTarget);
        Assert.Equal("req-http-1", request.Header("Idempotency-Key"));
        Assert.Equal("fk-secret-1", request.Header("x-functions-key"));
        Assert.StartsWith("application/json", request.Header("Content-Type"));

        using (var body = JsonDocument.Parse(request.Body))
        {
            Assert.False(body.RootElement.TryGetProperty("order_id", out _));
        }

        var parsed = RefundRequestParser.ParseHttp(request.Body, OrderId, request.Header("Idempotency-Key"));
        Assert.True(parsed.IsValid, string.Join("; ", parsed.Reasons));
        Assert.Equal(new RefundRequest
        {
            RequestId = "req-http-1",
            OrderId = OrderId,
            Description = "退款 partial",
            Charge = "ch_L8qn10mLmr1GS8e5OODmHaL4",
            ChargeAmount = 300,
            RefundMode = OrderRefundMode.ToBalance,
            Metadata = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" },
        }, parsed.Request);
    }

    [Fact]
    public async Task Submit_without_a_request_id_prints_the_generated_key_and_a_retry_with_it_sends_the_same_key()
    {
        // The first answer has no body to read the id from: the CLI prints the key it sent.
        _app.Reply(202, "{}");
        _app.Reply(200, """{"status":"succeeded"}""");

        var first = await CliRun.RunAsync("submit", OrderId, "--description", "full refund", "--app", _app.BaseAddress);
        var printed = first.Out.Trim();
        var retry = await CliRun.RunAsync("submit", OrderId, "--description", "full refund", "--request-id", printed, "--app", _app.BaseAddress);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(0, retry.ExitCode);
        Assert.Equal(printed, retry.Out.Trim());
        Assert.Contains("already known (200, succeeded)", retry.Err);
        Assert.StartsWith("cli-", printed, StringComparison.Ordinal);
        var requests = _app.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.All(requests, r => Assert.Equal(printed, r.Header("Idempotency-Key")));
        Assert.Equal(requests[0].Body, requests[1].Body);
        Assert.Null(requests[0].Header("x-functions-key"));
    }

    [Fact]
    public async Task Submit_shows_the_apps_rejection_reasons_and_exits_2()
    {
        _app.Reply(400, """{"error":"invalid_request","request_id":"r-1","reasons":[{"field":"charge","reason":"is not a charge of this order"},{"field":"charge_amount","reason":"is above the refundable amount"}]}""");

        var run = await CliRun.RunAsync("submit", OrderId, "--description", "x", "--charge", "ch_abc", "--amount", "5", "--app", _app.BaseAddress);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Out);
        Assert.Contains("charge: is not a charge of this order", run.Err);
        Assert.Contains("charge_amount: is above the refundable amount", run.Err);
        run.AssertNoStackTrace();
    }

    [Fact]
    public async Task Submit_with_invalid_arguments_exits_2_and_sends_nothing()
    {
        var run = await CliRun.RunAsync("submit", OrderId, "--amount", "0", "--charge", "ch_abc", "--app", _app.BaseAddress);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("description (--description):", run.Err);
        Assert.Contains("charge_amount (--amount):", run.Err);
        Assert.Empty(_app.Requests);
    }

    [Fact]
    public async Task Submit_answered_with_5xx_exits_1_and_says_resending_with_the_same_request_id_is_safe()
    {
        _app.Reply(503, """{"error":"storage unavailable"}""");

        var run = await CliRun.RunAsync("submit", OrderId, "--description", "x", "--request-id", "req-5xx", "--app", _app.BaseAddress);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("503", run.Err);
        Assert.Contains("storage unavailable", run.Err);
        Assert.Contains("--request-id req-5xx", run.Err);
        run.AssertNoStackTrace();
    }

    [Fact]
    public async Task Submit_of_a_request_id_reused_with_other_fields_exits_4_with_the_apps_message()
    {
        _app.Reply(409, """{"error":"request_id_conflict","message":"This request id was already used for a refund request with different parameters.","request_id":"req-dup"}""");

        var run = await CliRun.RunAsync("submit", OrderId, "--description", "other", "--request-id", "req-dup", "--app", _app.BaseAddress);

        Assert.Equal(4, run.ExitCode);
        Assert.Contains("409", run.Err);
        Assert.Contains("already used for a refund request with different parameters", run.Err);
        Assert.Equal("", run.Out);
    }

    [Theory]
    [InlineData("submit", OrderId, "--description", "x")]
    [InlineData("show", OrderId)]
    [InlineData("demo", "--orders", "1")]
    public async Task A_command_whose_app_is_down_names_the_url_and_the_run_script_in_one_line_and_exits_6(params string[] args)
    {
        var closed = ScriptedAppServer.ClosedAddress();

        var run = await CliRun.RunAsync([.. args, "--app", closed]);

        Assert.Equal(6, run.ExitCode);
        var line = Assert.Single(run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(closed, line);
        Assert.Contains("connection refused", line);
        Assert.Contains("./scripts/run-local.sh", line);
        run.AssertNoStackTrace();
    }

    [Fact]
    public async Task Show_renders_the_ledger_as_a_table_of_requests_with_their_refunds()
    {
        // The app's OrderRefundsView: each request repeats its refunds, the order lists every refund once more.
        _app.Reply(200, $$"""
            {"order_id":"{{OrderId}}",
             "requests":[
               {"request_id":"req-ok","order_id":"{{OrderId}}","status":"succeeded","description":"full","amount_refunded":1000,
                "refund_ids":["re_ok1"],"refunds":[{"id":"re_ok1","order_id":"{{OrderId}}","request_id":"req-ok","amount":1000,"status":"succeeded","external":false,"updated_at":"2026-11-28T08:00:04+00:00"}],
                "attempts":1,"created_at":"2026-11-28T08:00:00+00:00","updated_at":"2026-11-28T08:00:05+00:00"},
               {"request_id":"req-bad","order_id":"{{OrderId}}","status":"failed","description":"part","charge":"ch_x","charge_amount":500,"amount_refunded":500,
                "refund_ids":["re_bad1"],"refunds":[{"id":"re_bad1","request_id":"req-bad","amount":500,"status":"failed","failure_code":"REFUND_FAILED","failure_message":"渠道退款失败","external":false}],
                "failure_code":"REFUND_FAILED","failure_message":"渠道退款失败","attempts":1,"created_at":"2026-11-28T08:00:00+00:00","updated_at":"2026-11-28T08:01:00+00:00"},
               {"request_id":"req-new","order_id":"{{OrderId}}","status":"received","charge":"ch_x","charge_amount":120,"amount_refunded":0,
                "refund_ids":[],"refunds":[],"attempts":0,"created_at":"2026-11-28T08:02:00+00:00","updated_at":"2026-11-28T08:02:00+00:00"}],
             "refunds":[
               {"id":"re_ok1","order_id":"{{OrderId}}","request_id":"req-ok","amount":1000,"status":"succeeded","external":false},
               {"id":"re_bad1","order_id":"{{OrderId}}","request_id":"req-bad","amount":500,"status":"failed","failure_code":"REFUND_FAILED","external":false},
               {"id":"re_dash","order_id":"{{OrderId}}","amount":70,"status":"succeeded","external":true,"updated_at":"2026-11-28T07:59:00+00:00"}]}
            """);

        var run = await CliRun.RunAsync("show", OrderId, "--app", _app.BaseAddress, "--key", "fk-2");

        Assert.Equal(0, run.ExitCode);
        var request = Assert.Single(_app.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal($"/api/orders/{OrderId}/refunds", request.RawTarget);
        Assert.Equal("fk-2", request.Header("x-functions-key"));
        var lines = run.Out.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("REQUEST ID", StringComparison.Ordinal) && l.Contains("FAILURE", StringComparison.Ordinal));
        AssertRow(lines, "req-ok", "succeeded", "re_ok1", "1000", "2026-11-28 08:00:05");
        AssertRow(lines, "req-bad", "failed", "re_bad1", "500", "REFUND_FAILED 渠道退款失败", "2026-11-28 08:01:00");
        AssertRow(lines, "req-new", "received", "120", "-");
        AssertRow(lines, "(external)", "re_dash", "70", "succeeded", "2026-11-28 07:59:00");
        // Each refund once: the request's copy and the order's copy are the same refund.
        Assert.Single(lines, l => l.Contains("re_ok1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Show_source_pingpp_lists_live_refunds_under_the_request_id_in_their_metadata()
    {
        _app.Reply(200, $$"""
            {"object":"list","url":"/v1/orders/{{OrderId}}/order_refunds","has_more":false,"data":[
              {"id":"re_live1","object":"refund","amount":300,"created":1795852800,"status":"pending","succeed":false,
               "metadata":{"{{PingppMetadata.RequestId}}":"req-live"},"charge":"ch_x"}]}
            """);

        var run = await CliRun.RunAsync("show", OrderId, "--source", "pingpp", "--app", _app.BaseAddress);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal($"/api/manage/pingpp/orders/{OrderId}/refunds", Assert.Single(_app.Requests).RawTarget);
        var lines = run.Out.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        AssertRow(lines, "req-live", "re_live1", "300", "pending", "2026-11-28 08:00:00");
        Assert.Contains("live from Ping++", run.Out);
    }

    [Fact]
    public async Task Show_source_pingpp_says_when_the_live_view_stopped_at_its_page_bound()
    {
        _app.Reply(200, $$"""
            {"object":"list","url":"/v1/orders/{{OrderId}}/order_refunds","has_more":true,"pages_read":1,"stopped_early":true,
             "stopped_reason":"stopped after 1 pages of Ping++'s list (PingppLiveView__MaxPages)","data":[
              {"id":"re_live1","object":"refund","amount":300,"created":1795852800,"status":"pending","succeed":false,"charge":"ch_x"}]}
            """);

        var run = await CliRun.RunAsync("show", OrderId, "--source", "pingpp", "--app", _app.BaseAddress);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("incomplete: stopped after 1 pages of Ping++'s list (PingppLiveView__MaxPages)", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_json_prints_the_apps_body_unchanged()
    {
        const string body = """{"order_id":"2011708070000007521","requests":[],"refunds":[],"note":"退款"}""";
        _app.Reply(200, body);

        var run = await CliRun.RunAsync("show", OrderId, "--json", "--app", _app.BaseAddress);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(body, run.Out.TrimEnd('\r', '\n'));
    }

    [Fact]
    public async Task Show_of_an_order_the_app_does_not_know_exits_3_with_its_reason()
    {
        _app.Reply(404, """{"error":"not_found","message":"The ledger has no refund or refund request for this order."}""");

        var run = await CliRun.RunAsync("show", OrderId, "--app", _app.BaseAddress);

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("404", run.Err);
        Assert.Contains(OrderId, run.Err);
        Assert.Contains("The ledger has no refund or refund request for this order.", run.Err);
        Assert.Equal("", run.Out);
    }

    [Fact]
    public async Task Unknown_options_exit_2_and_send_nothing()
    {
        var run = await CliRun.RunAsync("show", OrderId, "--app", _app.BaseAddress, "--colour");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("unknown option --colour", run.Err);
        Assert.Empty(_app.Requests);
    }

    private static void AssertRow(string[] lines, string first, params string[] cells)
    {
        var row = Assert.Single(lines, l => l.StartsWith(first + " ", StringComparison.Ordinal));
        foreach (var cell in cells)
        {
            Assert.Contains(cell, row, StringComparison.Ordinal);
        }

    }
}
