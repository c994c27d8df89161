using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Pingpp.Simulator.Faults;

namespace Refunds.IntegrationTests.Support;

using Refunds.Core.Pingpp;

/// <summary>
/// The simulator's test controls (<c>/_sim</c>, see <c>Pingpp.Simulator.Admin.AdminApi</c>). Every call fails the
/// test with the simulator's answer when it is not a success. What it reports comes from the simulator's own state,
/// not through our client, so tests can check our client against it.
/// </summary>
public sealed class SimulatorAdmin
{
    private static readonly JsonSerializerOptions AdminJson = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient _http;

    private SimulatorAdmin(HttpClient http, string pingppPublicKeyPem)
    {
        _http = http;
        PingppPublicKeyPem = pingppPublicKeyPem;
    }

    /// <summary>Ping++'s webhook public key (SPKI PEM): what the app's <c>Pingpp__WebhookPublicKeys__0</c> must hold.</summary>
    public string PingppPublicKeyPem { get; }

    internal static async Task<SimulatorAdmin> ConnectAsync(HttpClient http, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("_sim/pingpp-public-key", cancellationToken);
        var pem = await EnsureSuccessAsync(response, "GET /_sim/pingpp-public-key", cancellationToken);
        return new SimulatorAdmin(http, pem);
    }

    /// <summary>
    /// Seeds a paid (or <c>canceled</c>-but-paid) order of <paramref name="amount"/> fen, paid by one charge per entry
    /// of <paramref name="charges"/> (default: one charge of the whole amount). <paramref name="refundFailure"/> makes
    /// every refund of the order settle to <c>failed</c>.
    /// </summary>
    public async Task<SeededOrder> SeedOrderAsync(
        long amount, IReadOnlyList<long>? charges = null, string? status = null, SimulatedRefundFailure? refundFailure = null, long? created = null,
        CancellationToken cancellationToken = default)
    {
        var body = new
        {
            Amount = amount,
            Charges = charges?.Select(c => new { Amount = c, Channel = "alipay" }).ToList(),
            Status = status,
            RefundFailure = refundFailure,
            Created = created,
        };
        var json = await SendAsync(HttpMethod.Post, "_sim/orders", body, cancellationToken);
        var order = JsonSerializer.Deserialize<PingppOrder>(json, PingppJson.Options)!;
        return new SeededOrder(order.Id, order.Amount, order.Charges?.Data.Select(c => c.Id).ToList() ?? [], order);
    }

    /// <summary>
    /// The payer pays the order again (<c>POST /_sim/orders/{id}/charges</c>): one more paid charge of
    /// <paramref name="amount"/> fen, announced by <c>charge.succeeded</c> only. Returns the order as it is now.
    /// </summary>
    public async Task<PingppOrder> PayAgainAsync(string orderId, long amount, string? chargeId = null, CancellationToken cancellationToken = default)
    {
        var json = await SendAsync(HttpMethod.Post, $"_sim/orders/{orderId}/charges", new { Amount = amount, Channel = "alipay", Id = chargeId }, cancellationToken);
        return JsonSerializer.Deserialize<PingppOrder>(json, PingppJson.Options)!;
    }

    /// <summary>The order turns <c>canceled</c> although it is paid (<c>POST /_sim/orders/{id}/cancel</c>).</summary>
    public async Task<PingppOrder> CancelOrderAsync(string orderId, CancellationToken cancellationToken = default)
    {
        var json = await SendAsync(HttpMethod.Post, $"_sim/orders/{orderId}/cancel", null, cancellationToken);
        return JsonSerializer.Deserialize<PingppOrder>(json, PingppJson.Options)!;
    }

    /// <summary>Every refund the simulator holds, oldest first, whoever created it (<c>GET /_sim/refunds</c>).</summary>
    public async Task<IReadOnlyList<SimulatorRefund>> GetRefundsAsync(CancellationToken cancellationToken = default)
    {
        var json = await SendAsync(HttpMethod.Get, "_sim/refunds", null, cancellationToken);
        return JsonNode.Parse(json)!["data"].Deserialize<List<SimulatorRefund>>(AdminJson)!;
    }

    /// <summary>The refunds of one order (<see cref="GetRefundsAsync"/> filtered).</summary>
    public async Task<IReadOnlyList<SimulatorRefund>> GetRefundsAsync(string orderId, CancellationToken cancellationToken = default) =>
        (await GetRefundsAsync(cancellationToken)).Where(r => r.OrderId == orderId).ToList();

    /// <summary>
    /// Sets fault kinds (others stay as they are), e.g.
    /// <c>new Dictionary&lt;string, FaultSpec&gt; { [FaultInjector.RateLimit] = new() { Next = 2 } }</c> or an anonymous
    /// object with snake_case names. Returns every active fault.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, FaultSpec>> SetFaultsAsync(object faults, CancellationToken cancellationToken = default) =>
        ReadFaults(await SendAsync(HttpMethod.Put, "_sim/faults", faults, cancellationToken));

    /// <summary>Every active fault with how often it fired (<see cref="FaultSpec.Triggered"/>).</summary>
    public async Task<IReadOnlyDictionary<string, FaultSpec>> GetFaultsAsync(CancellationToken cancellationToken = default) =>
        ReadFaults(await SendAsync(HttpMethod.Get, "_sim/faults", null, cancellationToken));

    public Task ClearFaultsAsync(CancellationToken cancellationToken = default) => SendAsync(HttpMethod.Delete, "_sim/faults", null, cancellationToken);

    /// <summary>Settles every pending refund now (or only <paramref name="orderId"/>'s); returns how many settled.</summary>
    public async Task<int> SettleAsync(string? orderId = null, CancellationToken cancellationToken = default)
    {
        var path = orderId is null ? "_sim/settle" : "_sim/settle?order_id=" + Uri.EscapeDataString(orderId);
        var json = await SendAsync(HttpMethod.Post, path, null, cancellationToken);
        return JsonNode.Parse(json)!["settled"]!.GetValue<int>();
    }

    /// <summary>A refund made "in the Ping++ dashboard" (<c>POST /_sim/orders/{id}/refunds</c>): no request of ours, no metadata.</summary>
    public async Task<IReadOnlyList<PingppRefund>> DashboardRefundAsync(string orderId, string? charge = null, long? amount = null, CancellationToken cancellationToken = default)
    {
        var json = await SendAsync(HttpMethod.Post, $"_sim/orders/{orderId}/refunds", new { Charge = charge, Amount = amount, Description = "dashboard" }, cancellationToken);
        return JsonSerializer.Deserialize<PingppList<PingppRefund>>(json, PingppJson.Options)!.Data;
    }

    /// <summary>Every event the simulator raised, with its delivery state and attempts (<c>GET /_sim/events</c>).</summary>
    public async Task<IReadOnlyList<SimulatorEvent>> GetEventsAsync(CancellationToken cancellationToken = default)
    {
        var json = await SendAsync(HttpMethod.Get, "_sim/events", null, cancellationToken);
        return JsonNode.Parse(json)!["data"].Deserialize<List<SimulatorEvent>>(AdminJson)!;
    }

    /// <summary>Every <c>/v1</c> request that reached the simulator, before its auth, signature and fault checks (<c>GET /_sim/api-calls</c>).</summary>
    public async Task<IReadOnlyList<SimulatorApiCall>> GetApiCallsAsync(CancellationToken cancellationToken = default)
    {
        var json = await SendAsync(HttpMethod.Get, "_sim/api-calls", null, cancellationToken);
        return JsonNode.Parse(json)!["data"].Deserialize<List<SimulatorApiCall>>(AdminJson)!;
    }

    private static IReadOnlyDictionary<string, FaultSpec> ReadFaults(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, FaultSpec>>(json, AdminJson)!;

    private async Task<string> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: AdminJson);
        }

        using var response = await _http.SendAsync(request, cancellationToken);
        return await EnsureSuccessAsync(response, $"{method} /{path}", cancellationToken);
    }

    private static async Task<string> EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Simulator admin call {what} answered {(int)response.StatusCode}: {text}");
        }

        return text;
    }
}

/// <summary>An order seeded through the admin API: its id and the ids of the charges that paid it, in seeding order.</summary>
public sealed record SeededOrder(string Id, long Amount, IReadOnlyList<string> ChargeIds, PingppOrder Order);

/// <summary>How every refund of a seeded order fails at the channel.</summary>
public sealed record SimulatedRefundFailure(string FailureCode, string FailureMsg);

/// <summary>The simulator's own record of a refund (<c>GET /_sim/refunds</c>); <see cref="Origin"/> is <c>api</c> or <c>dashboard</c>.</summary>
public sealed record SimulatorRefund(
    string OrderId, string RefundId, string Charge, long Amount, string Status, IReadOnlyDictionary<string, JsonElement>? Metadata,
    long Created, string Description, string? FailureCode, string? FailureMsg, string Origin)
{
    /// <summary>The <c>refund_request_id</c> metadata value, if it is a string.</summary>
    public string? RequestId => Metadata is not null && Metadata.TryGetValue(PingppMetadata.RequestId, out var v) && v.ValueKind == JsonValueKind.String
        ? v.GetString()
        : null;
}

/// <summary>An event the simulator raised (<c>GET /_sim/events</c>); <see cref="Body"/> is the exact webhook payload.</summary>
public sealed record SimulatorEvent(
    string Id, string Type, string ObjectId, long Created, string DeliveryState, long? NextAttemptAt,
    IReadOnlyList<SimulatorDeliveryAttempt> Attempts, JsonElement Body);

/// <summary>A <c>/v1</c> request as the simulator received it (<c>GET /_sim/api-calls</c>); <see cref="Query"/> is its query string as sent (with the "?"), empty when none.</summary>
public sealed record SimulatorApiCall(string Method, string Path, string Query = "");

/// <summary>One webhook delivery attempt: when (Unix ms), the receiver's status code or the transport error.</summary>
public sealed record SimulatorDeliveryAttempt(long At, int? StatusCode, string? Error);
