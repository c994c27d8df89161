using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Refunds.Core.Refunds;

namespace Refunds.EndToEndTests.Support;

/// <summary>The refund HTTP API as a caller uses it: JSON body, <c>Idempotency-Key</c> = the request id.</summary>
public static class RefundApi
{
    public static async Task<(HttpStatusCode Status, JsonNode? Json)> SubmitAsync(HttpClient client, RefundRequest request)
    {
        var body = new JsonObject
        {
            ["description"] = request.Description,
            ["charge"] = request.Charge,
            ["charge_amount"] = request.ChargeAmount,
        };
        using var message = new HttpRequestMessage(HttpMethod.Post, $"/api/orders/{request.OrderId}/refunds")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        message.Headers.Add("Idempotency-Key", request.RequestId);
        using var response = await client.SendAsync(message);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
