using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Refunds.Core.Refunds;
using Refunds.IntegrationTests.RefundRequests;
using Refunds.IntegrationTests.Support;

namespace Refunds.IntegrationTests.Operations;

/// <summary>The operator routes through the local host with keys on (real HTTP on loopback), and their Entra twins.</summary>
public sealed class OperatorRoutesTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task The_problems_list_search_review_and_csv_export_answer_over_http_with_the_master_key_only()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var run = Guid.NewGuid().ToString("N")[..8];
        var request = await app.SeededRequestAsync("dead-" + run, 1234);
        await app.Ledger.CreateRequestAsync(request.ToLedgerRecord(), None);
        await app.Ledger.RecordDeadLetteredAsync(request.RequestId, "poisoned for the test", None);

        using var byFunctionKey = await app.Client.GetAsync("/api/manage/problems");
        Assert.Equal(HttpStatusCode.Unauthorized, byFunctionKey.StatusCode);

        var problems = await GetJsonAsync(app.AdminClient, "/api/manage/problems?kind=dead_lettered&page_size=10");
        var item = Assert.Single(problems["items"]!.AsArray())!;
        Assert.Equal(("dead_lettered", request.RequestId, request.OrderId, 1234L), (item["kind"]!.GetValue<string>(), item["id"]!.GetValue<string>(), item["order_id"]!.GetValue<string>(), item["amount"]!.GetValue<long>()));
        Assert.Equal(["requeue", "cancel", "review"], item["actions"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Null(item["reviewed"]);
        Assert.True(problems.AsObject().ContainsKey("continuation"));

        var search = await GetJsonAsync(app.AdminClient, $"/api/manage/refund-requests?order_id={request.OrderId}&status=dead_lettered");
        var found = Assert.Single(search["items"]!.AsArray())!;
        Assert.Equal(("dead_lettered", "退款 " + request.RequestId), (found["status"]!.GetValue<string>(), found["description"]!.GetValue<string>()));

        using var bad = await app.AdminClient.GetAsync("/api/manage/refund-requests?status=lost&page_size=500");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var error = JsonNode.Parse(await bad.Content.ReadAsStringAsync())!;
        Assert.Equal("invalid_parameter", error["error"]!.GetValue<string>());
        Assert.Contains("status", error["message"]!.GetValue<string>(), StringComparison.Ordinal);

        using var csv = await app.AdminClient.GetAsync($"/api/manage/export/refund-requests.csv?order_id={request.OrderId}");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        Assert.Equal("utf-8", csv.Content.Headers.ContentType.CharSet);
        var bytes = await csv.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("request_id,order_id,status,amount_fen,amount_yuan,charge,refund_ids,created_at,updated_at,submitted_by,description", lines[0]);
        Assert.StartsWith($"{request.RequestId},{request.OrderId},dead_lettered,1234,12.34,", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("退款 " + request.RequestId, lines[1], StringComparison.Ordinal);

        using var noNote = await app.AdminClient.PostAsJsonAsync($"/api/manage/problems/dead_lettered/{request.RequestId}/review", new { note = "" });
        Assert.Equal(HttpStatusCode.BadRequest, noNote.StatusCode);
        using var unknown = await app.AdminClient.PostAsJsonAsync($"/api/manage/problems/dead_lettered/nope-{run}/review", new { note = "x" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var reviewed = await app.AdminClient.PostAsJsonAsync($"/api/manage/problems/dead_lettered/{request.RequestId}/review", new { note = "called the shop" });
        Assert.Equal(HttpStatusCode.OK, reviewed.StatusCode);
        var answer = JsonNode.Parse(await reviewed.Content.ReadAsStringAsync())!;
        Assert.Equal(("operator:key:master", "called the shop"), (answer["reviewed"]!["by"]!.GetValue<string>(), answer["reviewed"]!["note"]!.GetValue<string>()));
        Assert.Empty((await GetJsonAsync(app.AdminClient, "/api/manage/problems?kind=dead_lettered"))["items"]!.AsArray());

        var stats = await GetJsonAsync(app.AdminClient, "/api/manage/stats/daily?days=2");
        Assert.Equal(2, stats["days"]!.AsArray().Count);
        Assert.Equal(1, stats["days"]![1]!["outcomes"]!["dead_lettered"]!["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_entra_twins_refuse_a_token_without_the_operate_role_and_answer_one_with_it()
    {
        await using var tenant = await LoopbackEntraTenant.StartAsync();
        await using var app = await RefundAppHarness.StartAsync(settings: tenant.Settings);
        var submitter = tenant.Token(Guid.NewGuid(), ["Refunds.Submit"]);
        var operatorId = Guid.NewGuid();
        var operate = tenant.Token(operatorId, ["Refunds.Operate"]);
        var request = await app.SeededRequestAsync("dead-" + Guid.NewGuid().ToString("N")[..8], 500);
        await app.Ledger.CreateRequestAsync(request.ToLedgerRecord(), None);
        await app.Ledger.RecordDeadLetteredAsync(request.RequestId, "poisoned for the test", None);

        foreach (var path in new[] { "/api/entra/manage/problems", "/api/entra/manage/refund-requests", "/api/entra/manage/export/refund-requests.csv", "/api/entra/manage/stats/daily" })
        {
            var (refused, json) = await SendAsync(app, HttpMethod.Get, path, submitter);
            Assert.Equal((HttpStatusCode.Forbidden, "missing_role"), (refused, json!["error"]!.GetValue<string>()));
            var (anonymous, _) = await SendAsync(app, HttpMethod.Get, path, null);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous);
        }

        var (status, problems) = await SendAsync(app, HttpMethod.Get, "/api/entra/manage/problems?kind=dead_lettered", operate);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(request.RequestId, problems!["items"]![0]!["id"]!.GetValue<string>());
        var (reviewedStatus, reviewed) = await SendAsync(app, HttpMethod.Post, $"/api/entra/manage/problems/dead_lettered/{request.RequestId}/review", operate, "{\"note\":\"checked\"}");
        Assert.Equal(HttpStatusCode.OK, reviewedStatus);
        Assert.Equal($"operator:entra:{operatorId:D}", reviewed!["reviewed"]!["by"]!.GetValue<string>());
    }

    private static async Task<JsonNode> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Json)> SendAsync(RefundAppHarness app, HttpMethod method, string path, string? token, string? body = null)
    {
        using var client = new HttpClient { BaseAddress = app.Client.BaseAddress };
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 || response.Content.Headers.ContentType?.MediaType != "application/json" ? null : JsonNode.Parse(text));
    }
}
