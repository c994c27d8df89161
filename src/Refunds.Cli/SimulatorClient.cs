using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Refunds.Cli;

/// <summary>A Ping++ order seeded at the simulator: its id and its charges' ids.</summary>
internal sealed record SeededOrder(string Id, long Amount, IReadOnlyList<string> ChargeIds);

/// <summary>A refund as the simulator (standing in for Ping++) holds it.</summary>
internal sealed record SimulatorRefund(string OrderId, string RefundId, string? RequestId, long Amount, string Status);

/// <summary>The Ping++ simulator's admin API (<c>/_sim</c>, README "Ping++ simulator").</summary>
internal sealed class SimulatorClient(HttpClient http, Uri simulator)
{
    public Uri Url => simulator;

    /// <param name="charges">Each charge's amount and channel; empty = one alipay charge of <paramref name="amount"/>.</param>
    /// <param name="status"><c>paid</c>, or <c>canceled</c> for an order paid after its cancellation.</param>
    public async Task<SeededOrder> SeedOrderAsync(long amount, IReadOnlyList<(long Amount, string Channel)> charges, string status, CancellationToken ct)
    {
        var body = new JsonObject { ["amount"] = amount, ["status"] = status };
        if (charges.Count > 0)
        {
            body["charges"] = new JsonArray([.. charges.Select(c => (JsonNode)new JsonObject { ["amount"] = c.Amount, ["channel"] = c.Channel })]);
        }

        var json = await SendAsync(HttpMethod.Post, "_sim/orders", body, ct).ConfigureAwait(false);
        var id = json["id"]?.GetValue<string>() ?? throw new CliException($"the simulator at {simulator} answered an order without an id");
        var chargeIds = json["charges"]?["data"]?.AsArray().Select(c => c?["id"]?.GetValue<string>()).OfType<string>().ToList() ?? [];
        return new SeededOrder(id, amount, chargeIds);
    }

    public async Task<IReadOnlyList<SimulatorRefund>> RefundsAsync(CancellationToken ct)
    {
        var json = await SendAsync(HttpMethod.Get, "_sim/refunds", null, ct).ConfigureAwait(false);
        return json["data"]?.AsArray().OfType<JsonNode>().Select(r => new SimulatorRefund(
            r["order_id"]?.GetValue<string>() ?? "",
            r["refund_id"]?.GetValue<string>() ?? "",
            r["metadata"]?[Refunds.Core.Pingpp.PingppMetadata.RequestId]?.GetValue<string>(),
            r["amount"]?.GetValue<long>() ?? 0,
            r["status"]?.GetValue<string>() ?? "")).ToList() ?? [];
    }

    private async Task<JsonNode> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        var url = new Uri(simulator, path);
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        try
        {
            using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new CliException($"the simulator answered {(int)response.StatusCode} to {method} {url}: {string.Join("; ", RefundsApiClient.Reasons(text))}");
            }

            return JsonNode.Parse(text) ?? throw new CliException($"the simulator answered {method} {url} with an empty body");
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && Unreachable.IsConnectionFailure(ex))
        {
            throw Unreachable.Error("the Ping++ simulator", simulator, ex);
        }
        catch (JsonException)
        {
            throw new CliException($"the simulator answered {method} {url} with a body that is not JSON");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException($"the simulator at {simulator} did not answer within {http.Timeout.TotalSeconds:0} s", ExitCodes.Unreachable);
        }
    }
}
