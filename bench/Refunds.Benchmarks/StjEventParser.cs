using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using Refunds.Core.Pingpp;
using Refunds.Core.Storage;
using Refunds.Core.Webhooks;

namespace Refunds.Benchmarks;

/// <summary>
/// The candidate of issue 16.4: the event read by <c>System.Text.Json</c> source-generated deserialization (an envelope
/// type, <c>data.object</c> kept as a <see cref="JsonElement"/> and deserialized as its kind), with the checks of
/// <see cref="PingppEventParser"/> in the same order. Measured beside it by <c>webhook-verify</c>; not used by the app.
/// </summary>
public static class StjEventParser
{
    private static readonly StjEventContext Context = new(new JsonSerializerOptions(PingppJson.Options));

    public static bool TryParse(ReadOnlyMemory<byte> utf8, [NotNullWhen(true)] out PingppEvent? pingppEvent, [NotNullWhen(false)] out string? reason)
    {
        pingppEvent = null;
        if (utf8.IsEmpty || !Utf8.IsValid(utf8.Span))
        {
            reason = utf8.IsEmpty ? "empty body" : "body is not valid UTF-8";
            return false;
        }

        StjEventEnvelope? e;
        try
        {
            e = JsonSerializer.Deserialize(utf8.Span, Context.StjEventEnvelope);
        }
        catch (JsonException)
        {
            reason = "body is not JSON";
            return false;
        }

        reason = e switch
        {
            null => "body is not a JSON object",
            { Object: not "event" } => "object is not \"event\"",
            { Id: null } => "event has no id",
            { Id: var id } when !TableKeys.IsValidId(id) => "event id is malformed",
            { Type: null or "" } => "event has no type",
            { Livemode: null } => "event has no livemode",
            { Data.Object.ValueKind: not JsonValueKind.Object } or { Data: null } => "event has no data.object",
            _ => null,
        };
        if (reason is not null)
        {
            return false;
        }

        var dataObject = e!.Data!.Object;
        var objectType = dataObject.TryGetProperty("object", out var kind) && kind.ValueKind == JsonValueKind.String ? kind.GetString() : null;
        if (string.IsNullOrEmpty(objectType))
        {
            reason = "data.object has no object type";
            return false;
        }

        object? typed;
        try
        {
            typed = objectType switch
            {
                "refund" => dataObject.Deserialize(Context.PingppRefund),
                "order" => dataObject.Deserialize(Context.PingppOrder),
                "charge" => dataObject.Deserialize(Context.PingppCharge),
                _ => null,
            };
        }
        catch (JsonException)
        {
            reason = $"data.object is not a valid {objectType}";
            return false;
        }

        pingppEvent = new PingppEvent
        {
            Id = e.Id!,
            Type = e.Type!,
            Livemode = e.Livemode!.Value,
            Created = e.Created ?? 0,
            Request = e.Request,
            PendingWebhooks = (int)(e.PendingWebhooks ?? 0),
            ObjectType = objectType,
            ObjectId = typed switch
            {
                PingppRefund r => r.Id,
                PingppOrder o => o.Id,
                PingppCharge c => c.Id,
                _ => dataObject.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null,
            },
            Refund = typed as PingppRefund,
            Order = typed as PingppOrder,
            Charge = typed as PingppCharge,
        };
        return true;
    }
}

public sealed class StjEventEnvelope
{
    public string? Id { get; init; }
    public string? Object { get; init; }
    public string? Type { get; init; }
    public bool? Livemode { get; init; }
    public long? Created { get; init; }
    public string? Request { get; init; }
    public long? PendingWebhooks { get; init; }
    public StjEventData? Data { get; init; }
}

public sealed class StjEventData
{
    public JsonElement Object { get; init; }
}

[JsonSerializable(typeof(StjEventEnvelope))]
[JsonSerializable(typeof(PingppRefund))]
[JsonSerializable(typeof(PingppOrder))]
[JsonSerializable(typeof(PingppCharge))]
internal sealed partial class StjEventContext : JsonSerializerContext;
