using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Refunds.Core.Ledger;
using Refunds.Core.Refunds;
using Refunds.IntegrationTests.RefundRequests;

namespace Refunds.IntegrationTests.Operations;

/// <summary>
/// Approval and the operator actions through the dev host with keys on (real HTTP, Azurite queues, the simulator): a
/// large refund waits and nothing reaches Ping++ until an operator approves; deny and cancel end requests that never
/// reached it; every action is in the request's history with the operator.
/// </summary>
public sealed class RefundApprovalApiTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static readonly Dictionary<string, string?> Limits = new()
    {
        ["Approval:MaxAmountPerRequest"] = "1000",
        ["Approval:MaxAmountPerDay"] = "1000000",
    };

    private static async Task<(HttpStatusCode Status, JsonNode? Json)> SendAsync(HttpClient client, HttpMethod method, string path, string? body = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private static async Task<string> SubmitAsync(RefundAppHarness app, string orderId, string chargeId, long amount, string expectedStatus)
    {
        var key = "ap-" + Guid.NewGuid().ToString("N");
        var (status, json) = await SendAsync(app.Client, HttpMethod.Post, $"/api/orders/{orderId}/refunds",
            $$"""{"description":"大额退款","charge":"{{chargeId}}","charge_amount":{{amount}}}""", key);
        Assert.Equal((HttpStatusCode.Accepted, expectedStatus), (status, json!["status"]!.GetValue<string>()));
        return key;
    }

    [Fact]
    public async Task A_large_refund_waits_sends_nothing_until_an_operator_approves_and_then_exactly_one_refund_with_the_operator_in_its_history()
    {
        await using var app = await RefundAppHarness.StartAsync(settings: Limits);
        var order = await app.Sim.SeedOrderAsync(5000);
        var key = await SubmitAsync(app, order.Id, order.ChargeIds[0], 3000, "awaiting_approval");
        // The queue path too: a message for the held request completes without sending.
        await app.RequestQueue.EnqueueAsync((await app.Ledger.GetRequestAsync(key, None))!.ToRefundRequest()!, None);
        await app.WaitForQueuesDrainedAsync();

        Assert.Empty(await app.Sim.GetRefundsAsync(order.Id));
        var (_, held) = await SendAsync(app.AdminClient, HttpMethod.Get, $"/api/manage/refund-requests/{key}");
        Assert.Equal(("awaiting_approval", "per_request_limit", 3000L), (held!["status"]!.GetValue<string>(), held["approval"]!["reasons"]![0]!.GetValue<string>(), held["approval"]!["amount"]!.GetValue<long>()));
        var first = held["history"]!.AsArray().Single()!;
        Assert.Equal((null, "awaiting_approval", "function:SubmitRefund"), (first["from"]?.GetValue<string>(), first["to"]!.GetValue<string>(), first["actor"]!.GetValue<string>()));

        var (approveStatus, approved) = await SendAsync(app.AdminClient, HttpMethod.Post, $"/api/manage/refund-requests/{key}/approve", """{"reason":"客户已确认"}""");
        Assert.Equal((HttpStatusCode.OK, "received", "operator:key:master", "客户已确认"),
            (approveStatus, approved!["status"]!.GetValue<string>(), approved["approval"]!["decided_by"]!.GetValue<string>(), approved["approval"]!["reason"]!.GetValue<string>()));
        await app.WaitForStateAsync(key, RefundRequestState.Submitted);

        var refund = Assert.Single(await app.Sim.GetRefundsAsync(order.Id));
        Assert.Equal((key, 3000L), (refund.RequestId, refund.Amount));
        var (_, view) = await SendAsync(app.AdminClient, HttpMethod.Get, $"/api/manage/refund-requests/{key}");
        var history = view!["history"]!.AsArray().Select(h => (h!["from"]?.GetValue<string>(), h["to"]!.GetValue<string>(), h["actor"]!.GetValue<string>())).ToList();
        Assert.Equal(
            [
                (null, "awaiting_approval", "function:SubmitRefund"),
                ("awaiting_approval", "received", "operator:key:master"),
                ("received", "submitting", "function:ProcessRefundRequest"),
                ("submitting", "submitted", "function:ProcessRefundRequest"),
            ],
            history);
        Assert.Equal("客户已确认", view["history"]![1]!["reason"]!.GetValue<string>());
        var (again, refused) = await SendAsync(app.AdminClient, HttpMethod.Post, $"/api/manage/refund-requests/{key}/approve");
        Assert.Equal((HttpStatusCode.Conflict, "not_allowed"), (again, refused!["error"]!.GetValue<string>()));
        Assert.Contains("submitted", refused["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deny_and_cancel_end_requests_that_never_reached_pingpp_and_refuse_one_that_did()
    {
        await using var app = await RefundAppHarness.StartAsync(settings: Limits);
        var order = await app.Sim.SeedOrderAsync(9000);
        var toDeny = await SubmitAsync(app, order.Id, order.ChargeIds[0], 4000, "awaiting_approval");
        var toCancel = await SubmitAsync(app, order.Id, order.ChargeIds[0], 2000, "awaiting_approval");
        var small = await SubmitAsync(app, order.Id, order.ChargeIds[0], 500, "received");
        await app.WaitForStateAsync(small, RefundRequestState.Submitted);

        // A reason is required to deny or cancel, and must be clean text.
        var noReason = await SendAsync(app.AdminClient, HttpMethod.Post, $"/api/manage/refund-requests/{toDeny}/deny");
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_parameter"), (noReason.Status, noReason.Json!["error"]!.GetValue<string>()));
        Assert.Contains("reason", noReason.Json["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var control = await SendAsync(app.AdminClient, HttpMethod.Post, $"/api/manage/refund-requests/{toDeny}/deny", "{\"reason\":\"a\\u0000b\"}");
        Assert.Equal(HttpStatusCode.BadRequest, control.Status);
        var tooLong = await SendAsync(app.AdminClient, HttpMethod.Post, $"/api/manage/refund-requests/{toDeny}/deny", $$"""{"reason":"{{new string('x', 1001)}}"}""");
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.Status);

        var denied = await SendAsync(app.AdminClient, HttpMethod.Post, $"/api/manage/refund-requests/{toDeny}/deny", """{"reason":"duplicate"}""");
        Assert.Equal((HttpStatusCode.OK, "canceled", "denied"), (denied.Status, denied.Json!["status"]!.GetValue<string>(), denied.Json["approval"]!["decision"]!.GetValue<string>()));
        var canceled = await SendAsync(app.AdminClient, HttpMethod.Post, $"/api/manage/refund-requests/{toCancel}/cancel", """{"reason":"customer withdrew"}""");
        Assert.Equal((HttpStatusCode.OK, "canceled"), (canceled.Status, canceled.Json!["status"]!.GetValue<string>()));
        var last = canceled.Json["history"]!.AsArray()[^1]!;
        Assert.Equal(("operator:key:master", "customer withdrew"), (last["actor"]!.GetValue<string>(), last["reason"]!.GetValue<string>()));

        // The small one reached Ping++: cancel and approve are refused, naming its state.
        var late = await SendAsync(app.AdminClient, HttpMethod.Post, $"/api/manage/refund-requests/{small}/cancel", """{"reason":"too late"}""");
        Assert.Equal((HttpStatusCode.Conflict, "not_allowed"), (late.Status, late.Json!["error"]!.GetValue<string>()));
        Assert.Contains("state submitted", late.Json["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(app.AdminClient, HttpMethod.Post, $"/api/manage/refund-requests/{toDeny}/approve")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(app.AdminClient, HttpMethod.Post, "/api/manage/refund-requests/no-such-request/cancel", """{"reason":"x"}""")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(app.AdminClient, HttpMethod.Get, "/api/manage/refund-requests/no-such-request")).Status);
        // The function key is not an operator's.
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(app.Client, HttpMethod.Post, $"/api/manage/refund-requests/{small}/cancel", """{"reason":"x"}""")).Status);

        await app.WaitForQueuesDrainedAsync();
        Assert.Equal(small, Assert.Single(await app.Sim.GetRefundsAsync(order.Id)).RequestId);
    }
}
