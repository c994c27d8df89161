using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Pingpp.Simulator.Api;
using Pingpp.Simulator.Faults;
using Pingpp.Simulator.State;
using Pingpp.Simulator.Webhooks;

namespace Pingpp.Simulator.Admin;

/// <summary>Test and demo controls under <c>/_sim</c> (no auth: the simulator only listens on loopback).</summary>
public static class AdminApi
{
    private static readonly JsonSerializerOptions AdminJson = new(PingppJson.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static void MapSimulatorAdmin(this IEndpointRouteBuilder app)
    {
        var sim = app.MapGroup("/_sim");
        sim.MapPost("/orders", SeedOrderAsync);
        sim.MapPost("/orders/{orderId}/refunds", DashboardRefundAsync);
        sim.MapPost("/orders/{orderId}/charges", PayAgainAsync);
        sim.MapPost("/orders/{orderId}/cancel", (string orderId, SimulatorLedger ledger) =>
            ledger.Cancel(orderId) is { } canceled ? PingppJson.Result(canceled) : Bad($"no order {orderId}", StatusCodes.Status404NotFound));
        sim.MapGet("/refunds", (SimulatorLedger ledger) => PingppJson.Result(new JsonObject { ["data"] = ledger.AdminRefunds() }));
        sim.MapPost("/settle", (string? order_id, SimulatorLedger ledger) =>
            PingppJson.Result(new JsonObject { ["settled"] = ledger.Settle(force: true, order_id) }));
        sim.MapGet("/api-calls", (ApiCallLog calls) => PingppJson.Result(calls.AdminJson()));
        sim.MapGet("/events", (WebhookOutbox outbox) => PingppJson.Result(new JsonObject { ["data"] = outbox.AdminJson() }));
        sim.MapPost("/events/{eventId}/replay", (string eventId, WebhookOutbox outbox) =>
            outbox.Replay(eventId)
                ? PingppJson.Result(new JsonObject { ["replayed"] = eventId }, StatusCodes.Status202Accepted)
                : Bad($"no event {eventId}, or no webhook URL configured", StatusCodes.Status404NotFound));
        sim.MapGet("/pingpp-public-key", (WebhookSigner signer) => Results.Text(signer.PublicKeyPem, "application/x-pem-file"));
        sim.MapGet("/faults", (FaultInjector faults) => FaultsResult(faults));
        sim.MapPut("/faults", PutFaultsAsync);
        sim.MapDelete("/faults", (FaultInjector faults) =>
        {
            faults.Clear();
            return Results.NoContent();
        });
    }

    private static async Task<IResult> SeedOrderAsync(HttpRequest request, SimulatorLedger ledger)
    {
        var (seed, error) = await ReadAsync<SeedOrderRequest>(request);
        if (seed is null) return Bad(error!);
        if (seed.Amount is not > 0) return Bad("amount must be a positive integer (fen)");
        var charges = seed.Charges is { Count: > 0 }
            ? seed.Charges.Select(c => new SeededCharge(c.Amount, c.Channel ?? "alipay", c.Id)).ToList()
            : [new SeededCharge(seed.Amount.Value, "alipay", null)];
        if (charges.Any(c => c.Amount <= 0)) return Bad("every charge needs a positive amount");
        if (charges.Sum(c => c.Amount) < seed.Amount) return Bad("charges must pay at least the order amount (it is a paid order)");
        var status = seed.Status ?? "paid";
        if (status is not ("paid" or "canceled")) return Bad("status must be paid or canceled");
        if (seed.Id is { } id && !IsSimpleId(id)) return Bad("id must be 1-64 letters, digits, _ or -");
        if (charges.Any(c => c.Id is { } chargeId && !IsSimpleId(chargeId))) return Bad("a charge id must be 1-64 letters, digits, _ or -");
        if (charges.Where(c => c.Id is not null).GroupBy(c => c.Id).Any(g => g.Count() > 1)) return Bad("charge ids must differ");
        var failure = seed.RefundFailure is { } f ? new RefundFailure(f.FailureCode ?? "REFUND_FAILED", f.FailureMsg ?? "渠道退款失败") : null;
        if (seed.Created is < 0) return Bad("created must be a Unix time in seconds");
        var created = seed.Created is { } seconds ? DateTimeOffset.FromUnixTimeSeconds(seconds) : (DateTimeOffset?)null;
        var order = ledger.SeedOrder(seed.Amount.Value, charges, status, failure, seed.Id, created);
        return order is null
            ? Bad($"an order or charge with one of these ids already exists", StatusCodes.Status409Conflict)
            : PingppJson.Result(order);
    }

    private static async Task<IResult> PayAgainAsync(string orderId, HttpRequest request, SimulatorLedger ledger)
    {
        var (charge, error) = await ReadAsync<SeedCharge>(request);
        if (charge is null) return Bad(error!);
        if (charge.Amount <= 0) return Bad("amount must be a positive integer (fen)");
        if (charge.Id is { } id && !IsSimpleId(id)) return Bad("a charge id must be 1-64 letters, digits, _ or -");
        return ledger.PayAgain(orderId, new SeededCharge(charge.Amount, charge.Channel ?? "alipay", charge.Id)) is { } order
            ? PingppJson.Result(order)
            : Bad($"no order {orderId}, or the charge id is taken", StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> DashboardRefundAsync(string orderId, HttpRequest request, SimulatorLedger ledger)
    {
        var (body, error) = await ReadAsync<DashboardRefundRequest>(request);
        if (body is null) return Bad(error!);
        if (body.Amount is not null && body.Charge is null) return Bad("amount needs charge");
        var refund = new RefundCreateRequest(body.Description ?? "dashboard refund", body.Charge, body.Amount, "to_source", null, []);
        var (refunds, apiError) = ledger.CreateRefunds(orderId, refund, origin: "dashboard");
        return apiError is not null
            ? apiError.ToResult()
            : PingppJson.Result(PingppJson.List($"/v1/orders/{orderId}/order_refunds", refunds!));
    }

    private static async Task<IResult> PutFaultsAsync(HttpRequest request, FaultInjector faults)
    {
        var (specs, error) = await ReadAsync<Dictionary<string, FaultSpec>>(request);
        if (specs is null) return Bad(error!);
        if (faults.Set(specs) is { } invalid) return Bad(invalid);
        return FaultsResult(faults);
    }

    private static IResult FaultsResult(FaultInjector faults) =>
        Results.Bytes(JsonSerializer.SerializeToUtf8Bytes(faults.Snapshot(), AdminJson), "application/json; charset=utf-8");

    private static async Task<(T? Value, string? Error)> ReadAsync<T>(HttpRequest request) where T : class
    {
        try
        {
            var value = request.ContentLength == 0 ? null : await JsonSerializer.DeserializeAsync<T>(request.Body, AdminJson, request.HttpContext.RequestAborted);
            return value is null ? (null, "a JSON body is required") : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, "invalid JSON: " + ex.Message);
        }
    }

    private static IResult Bad(string message, int status = StatusCodes.Status400BadRequest) =>
        new PingppApiError(status, PingppApiError.InvalidRequest, message).ToResult();

    private static bool IsSimpleId(string id)
        => id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    private sealed record SeedCharge(long Amount, string? Channel, string? Id);

    private sealed record SeedFailure(string? FailureCode, string? FailureMsg);

    private sealed record SeedOrderRequest(string? Id, long? Amount, List<SeedCharge>? Charges, string? Status, SeedFailure? RefundFailure, long? Created);

    private sealed record DashboardRefundRequest(string? Charge, long? Amount, string? Description);
}
