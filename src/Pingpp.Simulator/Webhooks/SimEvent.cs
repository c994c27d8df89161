using System.Text.Json.Nodes;

namespace Pingpp.Simulator.Webhooks;

/// <summary>A Ping++ event with its fixed body bytes and the state of its webhook delivery.</summary>
public sealed class SimEvent
{
    public required long Sequence { get; init; }
    public required string Id { get; init; }
    public required string Type { get; init; }
    public required string ObjectId { get; init; }
    public required DateTimeOffset Created { get; init; }

    /// <summary>Serialized once: every delivery, retry and replay sends these same bytes.</summary>
    public required byte[] Body { get; init; }
    public required string Signature { get; init; }

    /// <summary><c>none</c> (no webhook URL), <c>pending</c>, <c>held</c> (reorder), <c>delivered</c>, <c>failed</c> (retries exhausted), <c>dropped</c>.</summary>
    public string State { get; set; } = "pending";
    public DateTimeOffset? NextAttemptAt { get; set; }
    public DateTimeOffset? HeldUntil { get; set; }
    public bool InFlight { get; set; }
    /// <summary>A replay asked for while a delivery was in flight; honoured when that delivery completes.</summary>
    public bool ReplayRequested { get; set; }
    public int DuplicatesLeft { get; set; }

    /// <summary>Failed deliveries in the current cycle (a replay starts a new cycle).</summary>
    public int CycleFailures { get; set; }
    public List<DeliveryAttempt> Attempts { get; } = [];

    public JsonObject ToAdminJson()
    {
        var attempts = new JsonArray();
        foreach (var a in Attempts)
        {
            attempts.Add(new JsonObject
            {
                ["at"] = a.At.ToUnixTimeMilliseconds(),
                ["status_code"] = a.StatusCode,
                ["error"] = a.Error,
            });
        }
        return new JsonObject
        {
            ["id"] = Id,
            ["type"] = Type,
            ["object_id"] = ObjectId,
            ["created"] = Created.ToUnixTimeSeconds(),
            ["delivery_state"] = State,
            ["next_attempt_at"] = NextAttemptAt?.ToUnixTimeMilliseconds(),
            ["attempts"] = attempts,
            ["body"] = JsonNode.Parse(Body),
        };
    }
}

/// <summary>One POST of an event to the webhook URL.</summary>
public sealed record DeliveryAttempt(DateTimeOffset At, int? StatusCode, string? Error)
{
    public bool Succeeded => StatusCode is >= 200 and < 300;
}
