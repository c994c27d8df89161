using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Refunds.Core.Callers;
using Refunds.Core.Ledger;
using Refunds.Core.Refunds;
using Refunds.IntegrationTests.RefundRequests;
using Refunds.IntegrationTests.Support;

namespace Refunds.IntegrationTests.Security;

/// <summary>
/// The console's operators on Azure: App Service Authentication's principal header (<c>X-MS-CLIENT-PRINCIPAL</c>) on
/// the /api/entra/manage/… routes through the dev host (keys on, real HTTP). Trusted only while both the platform's
/// <c>WEBSITE_AUTH_ENABLED</c> and our <c>Entra__AppServiceAuthentication</c> say that authentication is on; otherwise
/// anyone could send the header, and it is refused as forged.
/// </summary>
public sealed class AppServicePrincipalTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static Dictionary<string, string?> SignInOn(LoopbackEntraTenant tenant) => new(tenant.Settings)
    {
        ["Entra:AppServiceAuthentication"] = "true",
        [AppServicePrincipal.PlatformSetting] = "True",
    };

    [Fact]
    public async Task With_sign_in_on_an_operator_principal_requeues_and_is_recorded_as_easyauth_while_a_bearer_token_still_works()
    {
        await using var tenant = await LoopbackEntraTenant.StartAsync();
        await using var app = await RefundAppHarness.StartAsync(settings: SignInOn(tenant));
        var operatorId = Guid.NewGuid();
        var first = await DeadLetteredAsync(app, "ea-a-" + Guid.NewGuid().ToString("N"));
        var second = await DeadLetteredAsync(app, "ea-b-" + Guid.NewGuid().ToString("N"));

        var requeued = await SendAsync(app, $"/api/entra/manage/refund-requests/{first.RequestId}/requeue", Principal(operatorId, ["Refunds.Operate"]), console: true);

        Assert.Equal(HttpStatusCode.OK, requeued.Status);
        var requeue = Assert.Single((await app.Ledger.GetRequestWithHistoryAsync(first.RequestId, None))!.History, h => h.Actor.StartsWith("operator:", StringComparison.Ordinal));
        Assert.Equal((RefundRequestState.DeadLettered, RefundRequestState.Received, $"operator:easyauth:{operatorId:D}"), (requeue.From, requeue.To, requeue.Actor));
        await app.WaitForStateAsync(first.RequestId, RefundRequestState.Submitted);

        // Machine callers keep their bearer tokens on the same routes (recorded as entra:<oid>).
        var service = Guid.NewGuid();
        using var client = new HttpClient { BaseAddress = app.Client.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tenant.Token(service, ["Refunds.Operate"]));
        using var byToken = await client.PostAsync($"/api/entra/manage/refund-requests/{second.RequestId}/requeue", null);
        Assert.Equal(HttpStatusCode.OK, byToken.StatusCode);
        Assert.Equal($"operator:entra:{service:D}", Assert.Single((await app.Ledger.GetRequestWithHistoryAsync(second.RequestId, None))!.History, h => h.Actor.StartsWith("operator:", StringComparison.Ordinal)).Actor);
    }

    [Fact]
    public async Task With_sign_in_on_a_principal_without_the_role_the_console_header_or_a_readable_body_is_refused_and_nothing_is_recorded()
    {
        await using var tenant = await LoopbackEntraTenant.StartAsync();
        await using var app = await RefundAppHarness.StartAsync(settings: SignInOn(tenant));
        var dead = await DeadLetteredAsync(app, "ea-r-" + Guid.NewGuid().ToString("N"));
        var path = $"/api/entra/manage/refund-requests/{dead.RequestId}/requeue";
        (string Case, string? Header, bool Console, HttpStatusCode Status, string Error)[] cases =
        [
            ("not signed in", null, true, HttpStatusCode.Unauthorized, "not_signed_in"),
            ("submit role only", Principal(Guid.NewGuid(), ["Refunds.Submit"]), true, HttpStatusCode.Forbidden, "missing_role"),
            ("no role", Principal(Guid.NewGuid(), []), true, HttpStatusCode.Forbidden, "missing_role"),
            ("session without the console header (CSRF)", Principal(Guid.NewGuid(), ["Refunds.Operate"]), false, HttpStatusCode.Forbidden, "missing_console_header"),
            ("not base64", "{not base64}", true, HttpStatusCode.Unauthorized, "invalid_principal"),
            ("no claims", Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"auth_typ":"aad"}""")), true, HttpStatusCode.Unauthorized, "invalid_principal"),
            ("no object id", Principal(null, ["Refunds.Operate"]), true, HttpStatusCode.Unauthorized, "missing_oid"),
        ];

        foreach (var (name, header, console, status, error) in cases)
        {
            var refused = await SendAsync(app, path, header, console);

            Assert.True(status == refused.Status, $"{name}: {(int)refused.Status} {refused.Json}");
            Assert.True(error == refused.Json!["error"]!.GetValue<string>(), $"{name}: {refused.Json}");
        }

        var record = (await app.Ledger.GetRequestWithHistoryAsync(dead.RequestId, None))!;
        Assert.Equal(RefundRequestState.DeadLettered, record.Request.State);
        Assert.DoesNotContain(record.History, h => h.Actor.StartsWith("operator:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("true", null)]
    [InlineData(null, "True")]
    [InlineData("false", "True")]
    public async Task With_sign_in_off_a_forged_principal_header_is_refused_and_nothing_is_recorded(string? ourSetting, string? platformSetting)
    {
        await using var tenant = await LoopbackEntraTenant.StartAsync();
        var settings = new Dictionary<string, string?>(tenant.Settings)
        {
            ["Entra:AppServiceAuthentication"] = ourSetting,
            [AppServicePrincipal.PlatformSetting] = platformSetting,
        };
        await using var app = await RefundAppHarness.StartAsync(settings: settings);
        var dead = await DeadLetteredAsync(app, "forged-" + Guid.NewGuid().ToString("N"));

        var forged = await SendAsync(app, $"/api/entra/manage/refund-requests/{dead.RequestId}/requeue", Principal(Guid.NewGuid(), ["Refunds.Operate"]), console: true);
        var all = await SendAsync(app, "/api/entra/manage/refund-requests/requeue-dead-lettered", Principal(Guid.NewGuid(), ["Refunds.Operate"]), console: true);

        Assert.Equal((HttpStatusCode.Unauthorized, "untrusted_principal"), (forged.Status, forged.Json!["error"]!.GetValue<string>()));
        Assert.Contains(AppServicePrincipal.PlatformSetting, forged.Json["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, all.Status);
        var record = (await app.Ledger.GetRequestWithHistoryAsync(dead.RequestId, None))!;
        Assert.Equal(RefundRequestState.DeadLettered, record.Request.State);
        Assert.DoesNotContain(record.History, h => h.Actor.StartsWith("operator:", StringComparison.Ordinal));
        Assert.Equal(0, await RefundAppHarness.CountAsync(app.Queue));
    }

    /// <summary>The header as App Service writes it: base64 of <c>{"auth_typ":"aad","claims":[{"typ","val"}],"name_typ","role_typ"}</c>.</summary>
    private static string Principal(Guid? objectId, string[] roles)
    {
        var claims = new JsonArray(
            new JsonObject { ["typ"] = "name", ["val"] = "Operator Wang" },
            new JsonObject { ["typ"] = "aud", ["val"] = "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d" });
        if (objectId is { } oid)
        {
            claims.Add(new JsonObject { ["typ"] = AppServicePrincipal.ObjectIdClaimType, ["val"] = oid.ToString("D") });
        }

        foreach (var role in roles)
        {
            claims.Add(new JsonObject { ["typ"] = "roles", ["val"] = role });
        }

        var principal = new JsonObject { ["auth_typ"] = "aad", ["claims"] = claims, ["name_typ"] = "name", ["role_typ"] = "roles" };
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(principal.ToJsonString()));
    }

    private static async Task<RefundRequest> DeadLetteredAsync(RefundAppHarness app, string requestId)
    {
        var request = await app.SeededRequestAsync(requestId, 700);
        await app.Ledger.CreateRequestAsync(request.ToLedgerRecord(), None);
        Assert.Equal(RequestUpdateOutcome.Updated, (await app.Ledger.RecordDeadLetteredAsync(requestId, "poisoned for the test", None)).Outcome);
        return request;
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Json)> SendAsync(RefundAppHarness app, string path, string? principal, bool console)
    {
        using var client = new HttpClient { BaseAddress = app.Client.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (principal is not null)
        {
            request.Headers.TryAddWithoutValidation(AppServicePrincipal.Header, principal);
        }

        if (console)
        {
            request.Headers.Add(AppServicePrincipal.ConsoleHeader, "1");
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
