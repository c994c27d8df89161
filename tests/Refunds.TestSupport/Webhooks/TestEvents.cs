using System.Text;
using System.Text.Json.Nodes;

namespace Refunds.Functions.Tests.Webhooks;

/// <summary>Ping++ event bodies shaped like the vectors, with ids unique to the test.</summary>
public static class TestEvents
{
    public static string NewId(string prefix) => prefix + Guid.NewGuid().ToString("N")[..24];

    /// <summary>A <c>refund.succeeded</c> event; <paramref name="padding"/> adds a top-level field to make the body large.</summary>
    public static JsonObject RefundSucceeded(string eventId, string refundId, long amount = 100, bool livemode = false, string? requestId = null, string? padding = null)
    {
        var refund = new JsonObject
        {
            ["id"] = refundId,
            ["object"] = "refund",
            ["order_no"] = "9" + refundId[3..],
            ["amount"] = amount,
            ["created"] = 1700000000,
            ["succeed"] = true,
            ["status"] = "succeeded",
            ["time_succeed"] = 1700000100,
            ["description"] = "退款测试",
            ["failure_code"] = null,
            ["failure_msg"] = null,
            ["metadata"] = requestId is null ? new JsonObject() : new JsonObject { ["refund_request_id"] = requestId },
            ["charge"] = "ch_" + refundId[3..],
            ["charge_order_no"] = "2026112800001",
            ["transaction_no"] = "tx" + refundId[3..],
            ["funding_source"] = null,
            ["extra"] = new JsonObject(),
        };
        var e = Event(eventId, "refund.succeeded", refund, livemode);
        if (padding is not null)
        {
            e["padding"] = padding;
        }

        return e;
    }

    public static JsonObject Event(string eventId, string type, JsonObject dataObject, bool livemode = false) => new()
    {
        ["id"] = eventId,
        ["created"] = 1700000200,
        ["livemode"] = livemode,
        ["type"] = type,
        ["data"] = new JsonObject { ["object"] = dataObject },
        ["object"] = "event",
        ["pending_webhooks"] = 0,
        ["request"] = "iar_qH4y1KbTy5eLGm1uHSTS00s",
    };

    /// <summary>UTF-8 bytes without escaping non-ASCII (Ping++ sends raw UTF-8).</summary>
    public static byte[] Bytes(JsonNode node) =>
        Encoding.UTF8.GetBytes(node.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
}
