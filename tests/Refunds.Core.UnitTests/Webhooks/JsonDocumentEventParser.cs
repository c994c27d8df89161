// The JsonDocument-based parser PingppEventParser replaced (verbatim logic), kept only as the reference the
// single-pass parser is compared against in PingppEventParserEquivalenceTests.
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Unicode;
using Refunds.Core.Pingpp;
using Refunds.Core.Storage;
using Refunds.Core.Webhooks;

namespace Refunds.Core.UnitTests.Webhooks;

internal static class JsonDocumentEventParser
{
    public static bool TryParse(ReadOnlyMemory<byte> utf8, [NotNullWhen(true)] out PingppEvent? pingppEvent, [NotNullWhen(false)] out string? reason)
    {
        pingppEvent = null;
        if (utf8.IsEmpty)
        {
            reason = "empty body";
            return false;
        }

        if (!Utf8.IsValid(utf8.Span))
        {
            reason = "body is not valid UTF-8";
            return false;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException)
        {
            reason = "body is not JSON";
            return false;
        }

        using (document)
        {
            return TryRead(document.RootElement, out pingppEvent, out reason);
        }
    }

    private static bool TryRead(JsonElement root, [NotNullWhen(true)] out PingppEvent? pingppEvent, [NotNullWhen(false)] out string? reason)
    {
        pingppEvent = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            reason = "body is not a JSON object";
            return false;
        }

        if (String(root, "object") != "event")
        {
            reason = "object is not \"event\"";
            return false;
        }

        var id = String(root, "id");
        if (id is null)
        {
            reason = "event has no id";
            return false;
        }

        if (!TableKeys.IsValidId(id))
        {
            reason = "event id is malformed";
            return false;
        }

        var type = String(root, "type");
        if (string.IsNullOrEmpty(type))
        {
            reason = "event has no type";
            return false;
        }

        if (!root.TryGetProperty("livemode", out var livemode) || livemode.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            // Unsigned test events are accepted only when livemode is false, so a missing flag must not read as false.
            reason = "event has no livemode";
            return false;
        }

        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
            || !data.TryGetProperty("object", out var dataObject) || dataObject.ValueKind != JsonValueKind.Object)
        {
            reason = "event has no data.object";
            return false;
        }

        var objectType = String(dataObject, "object");
        if (string.IsNullOrEmpty(objectType))
        {
            reason = "data.object has no object type";
            return false;
        }

        PingppRefund? refund = null;
        PingppOrder? order = null;
        PingppCharge? charge = null;
        try
        {
            switch (objectType)
            {
                case "refund":
                    refund = dataObject.Deserialize<PingppRefund>(PingppJson.Options);
                    break;
                case "order":
                    order = dataObject.Deserialize<PingppOrder>(PingppJson.Options);
                    break;
                case "charge":
                    charge = dataObject.Deserialize<PingppCharge>(PingppJson.Options);
                    break;
            }
        }
        catch (JsonException)
        {
            reason = $"data.object is not a valid {objectType}";
            return false;
        }

        pingppEvent = new PingppEvent
        {
            Id = id,
            Type = type,
            Livemode = livemode.ValueKind == JsonValueKind.True,
            Created = Int64(root, "created") ?? 0,
            Request = String(root, "request"),
            PendingWebhooks = (int)(Int64(root, "pending_webhooks") ?? 0),
            ObjectType = objectType,
            // Changed with the parser it pins: a typed object's id is its Id as the serializer reads it.
            ObjectId = refund is null && order is null && charge is null ? String(dataObject, "id") : refund?.Id ?? order?.Id ?? charge?.Id,
            Refund = refund,
            Order = order,
            Charge = charge,
        };
        reason = null;
        return true;
    }

    private static string? String(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Int64(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;
}
