using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Refunds.Core.Ledger;
using Refunds.Core.Refunds;
using Refunds.IntegrationTests.RefundRequests;
using Refunds.IntegrationTests.Support;

namespace Refunds.IntegrationTests.Security;

/// <summary>
/// Entra ID machine callers through the dev host (keys on, real HTTP on loopback): real RS256 tokens from a loopback
/// tenant (<see cref="LoopbackEntraTenant"/>) on the /api/entra/… routes, and key callers on the key routes; who called
/// is recorded on the request and on every requeue.
/// </summary>
public sealed class EntraCallerTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task A_submit_token_submits_and_reads_and_its_object_id_is_recorded_while_a_key_caller_is_recorded_by_key_name()
    {
        await using var tenant = await LoopbackEntraTenant.StartAsync();
        await using var app = await RefundAppHarness.StartAsync(settings: tenant.Settings);
        var submitter = Guid.NewGuid();
        var token = tenant.Token(submitter, ["Refunds.Submit"]);
        var order = await app.Sim.SeedOrderAsync(800);
        var requestId = "entra-" + Guid.NewGuid().ToString("N");

        var (status, json, _) = await SendAsync(app, HttpMethod.Post, $"/api/entra/orders/{order.Id}/refunds", token, Body(order.ChargeIds[0], 300), requestId);

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(requestId, json!["request_id"]!.GetValue<string>());
        Assert.Equal($"entra:{submitter:D}", (await app.Ledger.GetRequestAsync(requestId, None))!.SubmittedBy);
        var view = await SendAsync(app, HttpMethod.Get, $"/api/entra/orders/{order.Id}/refunds/{requestId}", token);
        Assert.Equal((HttpStatusCode.OK, $"entra:{submitter:D}"), (view.Status, view.Json!["submitted_by"]!.GetValue<string>()));
        var list = await SendAsync(app, HttpMethod.Get, $"/api/entra/orders/{order.Id}/refunds", token);
        Assert.Equal(requestId, list.Json!["requests"]![0]!["request_id"]!.GetValue<string>());

        // The same submission with the host's default key on the key route: the key's name is the caller.
        var keyed = "keyed-" + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/orders/{order.Id}/refunds") { Content = Json(Body(order.ChargeIds[0], 200)) };
        request.Headers.Add("Idempotency-Key", keyed);
        using var response = await app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("key:default", (await app.Ledger.GetRequestAsync(keyed, None))!.SubmittedBy);
        Assert.Equal("key:default", (await app.GetJsonAsync($"/api/orders/{order.Id}/refunds/{keyed}"))!["submitted_by"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_operate_role_is_needed_to_requeue_and_the_submit_role_to_submit_and_each_requeue_records_its_operator()
    {
        await using var tenant = await LoopbackEntraTenant.StartAsync();
        await using var app = await RefundAppHarness.StartAsync(settings: tenant.Settings);
        var operatorId = Guid.NewGuid();
        var operate = tenant.Token(operatorId, ["Refunds.Operate"]);
        var submit = tenant.Token(Guid.NewGuid(), ["Refunds.Submit"]);
        var first = await DeadLetteredAsync(app, "dead-a-" + Guid.NewGuid().ToString("N"));
        var second = await DeadLetteredAsync(app, "dead-b-" + Guid.NewGuid().ToString("N"));

        var bySubmitter = await SendAsync(app, HttpMethod.Post, $"/api/entra/manage/refund-requests/{first.RequestId}/requeue", submit);
        Assert.Equal((HttpStatusCode.Forbidden, "missing_role"), (bySubmitter.Status, bySubmitter.Json!["error"]!.GetValue<string>()));
        Assert.Contains("Refunds.Operate", bySubmitter.Json["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var allBySubmitter = await SendAsync(app, HttpMethod.Post, "/api/entra/manage/refund-requests/requeue-dead-lettered", submit);
        Assert.Equal(HttpStatusCode.Forbidden, allBySubmitter.Status);
        Assert.Equal(RefundRequestState.DeadLettered, (await app.Ledger.GetRequestAsync(first.RequestId, None))!.State);
        var order = await app.Sim.SeedOrderAsync(500);
        var submitByOperator = await SendAsync(app, HttpMethod.Post, $"/api/entra/orders/{order.Id}/refunds", operate, Body(order.ChargeIds[0], 100), "op-" + Guid.NewGuid().ToString("N"));
        Assert.Equal((HttpStatusCode.Forbidden, "missing_role"), (submitByOperator.Status, submitByOperator.Json!["error"]!.GetValue<string>()));

        var requeued = await SendAsync(app, HttpMethod.Post, $"/api/entra/manage/refund-requests/{first.RequestId}/requeue", operate);
        Assert.Equal((HttpStatusCode.OK, "received"), (requeued.Status, requeued.Json!["status"]!.GetValue<string>()));
        var requeue = (await app.Ledger.GetRequestWithHistoryAsync(first.RequestId, None))!.History.Single(h => h.From == RefundRequestState.DeadLettered);
        Assert.Equal((RefundRequestState.Received, $"operator:entra:{operatorId:D}"), (requeue.To, requeue.Actor));

        // The master key on the key route: recorded as operator:key:master, shown in the request's history.
        using var byMaster = await app.AdminClient.PostAsync($"/api/manage/refund-requests/{second.RequestId}/requeue", null);
        Assert.Equal(HttpStatusCode.OK, byMaster.StatusCode);
        var view = await app.GetJsonAsync($"/api/manage/refund-requests/{second.RequestId}", app.AdminClient);
        var last = view!["history"]!.AsArray()[^1]!;
        Assert.Equal(("dead_lettered", "received", "operator:key:master"), (last["from"]!.GetValue<string>(), last["to"]!.GetValue<string>(), last["actor"]!.GetValue<string>()));
        await app.WaitForStateAsync(first.RequestId, RefundRequestState.Submitted);
    }

    [Fact]
    public async Task Every_bad_token_is_refused_with_its_own_status_and_reason_and_records_nothing()
    {
        await using var tenant = await LoopbackEntraTenant.StartAsync();
        await using var app = await RefundAppHarness.StartAsync(settings: tenant.Settings);
        var order = await app.Sim.SeedOrderAsync(500);
        using var stranger = RSA.Create(2048);
        var caller = Guid.NewGuid();
        (string Case, string? Authorization, HttpStatusCode Status, string Error)[] cases =
        [
            ("no token", null, HttpStatusCode.Unauthorized, "missing_token"),
            ("not bearer", "Basic dXNlcjpwYXNz", HttpStatusCode.Unauthorized, "invalid_token"),
            ("not a jwt", "Bearer not-a-token", HttpStatusCode.Unauthorized, "invalid_token"),
            ("signed by another key, same kid", Bearer(tenant.Token(caller, ["Refunds.Submit"], signedWith: stranger)), HttpStatusCode.Unauthorized, "invalid_signature"),
            ("signed by an unknown key", Bearer(tenant.Token(caller, ["Refunds.Submit"], signedWith: stranger, keyId: "unknown-kid")), HttpStatusCode.Unauthorized, "invalid_signature"),
            ("unsigned", Bearer(Unsigned(tenant.Token(caller, ["Refunds.Submit"]))), HttpStatusCode.Unauthorized, "invalid_signature"),
            ("another issuer", Bearer(tenant.Token(caller, ["Refunds.Submit"], issuer: $"https://sts.windows.net/{tenant.TenantId}/")), HttpStatusCode.Unauthorized, "wrong_issuer"),
            ("another audience", Bearer(tenant.Token(caller, ["Refunds.Submit"], audience: "api://someone-else")), HttpStatusCode.Unauthorized, "wrong_audience"),
            ("expired", Bearer(tenant.Token(caller, ["Refunds.Submit"], expires: DateTime.UtcNow.AddMinutes(-10))), HttpStatusCode.Unauthorized, "token_expired"),
            ("no object id", Bearer(tenant.Token(null, ["Refunds.Submit"])), HttpStatusCode.Unauthorized, "missing_oid"),
            ("no role", Bearer(tenant.Token(caller, [])), HttpStatusCode.Forbidden, "missing_role"),
            ("another app's role", Bearer(tenant.Token(caller, ["Orders.Read"])), HttpStatusCode.Forbidden, "missing_role"),
        ];

        foreach (var (name, authorization, status, error) in cases)
        {
            var requestId = "bad-" + Guid.NewGuid().ToString("N");
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/entra/orders/{order.Id}/refunds") { Content = Json(Body(order.ChargeIds[0], 100)) };
            request.Headers.Add("Idempotency-Key", requestId);
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }

            using var client = new HttpClient { BaseAddress = app.Client.BaseAddress };
            using var response = await client.SendAsync(request);
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync());

            Assert.True(status == response.StatusCode, $"{name}: {(int)response.StatusCode} {json}");
            Assert.True(error == json!["error"]!.GetValue<string>(), $"{name}: {json}");
            Assert.False(string.IsNullOrEmpty(json["message"]?.GetValue<string>()), name);
            Assert.True(response.Headers.WwwAuthenticate.Count == 1, $"{name}: WWW-Authenticate");
            Assert.Null(await app.Ledger.GetRequestAsync(requestId, None));
        }

        // A key is no way into an Entra route, and a token no way into a key route.
        var valid = tenant.Token(caller, ["Refunds.Submit", "Refunds.Operate"]);
        using var keyOnEntraRoute = await app.AdminClient.PostAsync("/api/entra/manage/refund-requests/requeue-dead-lettered", null);
        Assert.Equal(HttpStatusCode.Unauthorized, keyOnEntraRoute.StatusCode);
        using var tokenOnKeyRoute = new HttpClient { BaseAddress = app.Client.BaseAddress };
        tokenOnKeyRoute.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", valid);
        using var refused = await tokenOnKeyRoute.GetAsync($"/api/orders/{order.Id}/refunds");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Empty(await app.Sim.GetRefundsAsync(order.Id));
    }

    [Fact]
    public async Task With_entra_id_off_the_entra_routes_refuse_every_token_and_the_key_routes_work_as_before()
    {
        await using var tenant = await LoopbackEntraTenant.StartAsync();
        await using var app = await RefundAppHarness.StartAsync();
        var order = await app.Sim.SeedOrderAsync(500);
        var token = tenant.Token(Guid.NewGuid(), ["Refunds.Submit", "Refunds.Operate"]);

        var submit = await SendAsync(app, HttpMethod.Post, $"/api/entra/orders/{order.Id}/refunds", token, Body(order.ChargeIds[0], 100), "off-" + Guid.NewGuid().ToString("N"));
        var requeue = await SendAsync(app, HttpMethod.Post, "/api/entra/manage/refund-requests/requeue-dead-lettered", token);

        Assert.Equal((HttpStatusCode.NotFound, "entra_disabled"), (submit.Status, submit.Json!["error"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.NotFound, requeue.Status);
        Assert.Equal(0, tenant.KeySetReads);
        using var keyed = await app.Client.GetAsync($"/api/orders/{order.Id}/refunds");
        Assert.Equal(HttpStatusCode.NotFound, keyed.StatusCode); // reached the function: the ledger knows no request of this order
        Assert.Equal("not_found", JsonNode.Parse(await keyed.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Entra:TenantId", "3f1c2a9e-7d4b-4c1e-9a8f-2b6d5e4c3a21", "Entra__Audience is required when Entra__TenantId is set")]
    [InlineData("Entra:Audience", "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "Entra__TenantId is required when Entra__Audience is set")]
    public async Task A_half_configured_entra_id_stops_the_app_at_start_naming_the_missing_setting(string setting, string value, string expected)
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => RefundAppHarness.StartAsync(settings: new Dictionary<string, string?> { [setting] = value }));

        Assert.Contains(expected, refused.ToString(), StringComparison.Ordinal);
    }

    private static string Body(string charge, long amount) => $$"""{"description":"机器退款","charge":"{{charge}}","charge_amount":{{amount}}}""";

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static string Bearer(string token) => "Bearer " + token;

    /// <summary>The token's header and payload with <c>alg: none</c> and no signature.</summary>
    private static string Unsigned(string token)
    {
        var parts = token.Split('.');
        var header = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""");
        return $"{header}.{parts[1]}.";
    }

    private static async Task<RefundRequest> DeadLetteredAsync(RefundAppHarness app, string requestId)
    {
        var request = await app.SeededRequestAsync(requestId, 700);
        await app.Ledger.CreateRequestAsync(request.ToLedgerRecord(), None);
        Assert.Equal(RequestUpdateOutcome.Updated, (await app.Ledger.RecordDeadLetteredAsync(requestId, "poisoned for the test", None)).Outcome);
        return request;
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Json, HttpResponseMessage Response)> SendAsync(
        RefundAppHarness app, HttpMethod method, string path, string token, string? body = null, string? idempotencyKey = null)
    {
        using var client = new HttpClient { BaseAddress = app.Client.BaseAddress };
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = Json(body);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response);
    }
}
