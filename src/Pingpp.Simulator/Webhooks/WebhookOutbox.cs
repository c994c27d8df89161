using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Pingpp.Simulator.Api;
using Pingpp.Simulator.Faults;
using Pingpp.Simulator.State;

namespace Pingpp.Simulator.Webhooks;

/// <summary>Every event Ping++ created and the schedule of its deliveries (Ping++'s retry policy, scaled).</summary>
public sealed class WebhookOutbox(IOptions<SimulatorOptions> options, TimeProvider time, WebhookSigner signer, FaultInjector faults)
{
    /// <summary>Gaps after a failed delivery: 2 min, 10 min, 10 min, 1 h, 2 h, 6 h, 15 h → at most 8 deliveries.</summary>
    public static readonly IReadOnlyList<TimeSpan> RetrySchedule =
    [
        TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(10), TimeSpan.FromHours(1),
        TimeSpan.FromHours(2), TimeSpan.FromHours(6), TimeSpan.FromHours(15),
    ];

    public const int MaxDeliveries = 8;
    private static readonly TimeSpan DefaultReorderHold = TimeSpan.FromSeconds(5);

    private readonly SimulatorOptions _options = options.Value;
    private readonly Lock _gate = new();
    private readonly List<SimEvent> _events = [];
    private long _sequence;

    public bool Enabled => !string.IsNullOrWhiteSpace(_options.WebhookUrl);

    public SimEvent Publish(string type, string objectId, JsonObject dataObject)
    {
        var now = time.GetUtcNow();
        var id = PingppIds.Event();
        var json = new JsonObject
        {
            ["id"] = id,
            ["created"] = now.ToUnixTimeSeconds(),
            ["livemode"] = _options.Livemode,
            ["type"] = type,
            ["data"] = new JsonObject { ["object"] = dataObject },
            ["object"] = "event",
            ["request"] = PingppIds.Request(),
            ["pending_webhooks"] = Enabled ? 1 : 0,
        };
        var body = PingppJson.Bytes(json);
        lock (_gate)
        {
            var evt = new SimEvent
            {
                Sequence = ++_sequence, Id = id, Type = type, ObjectId = objectId, Created = now,
                Body = body, Signature = signer.Sign(body),
            };
            Schedule(evt, now);
            _events.Add(evt);
            return evt;
        }
    }

    private void Schedule(SimEvent evt, DateTimeOffset now)
    {
        if (!Enabled)
        {
            evt.State = "none";
            return;
        }
        if (faults.Trigger(FaultInjector.Drop) is not null)
        {
            evt.State = "dropped";
            return;
        }
        if (faults.Trigger(FaultInjector.Duplicate) is not null)
        {
            evt.DuplicatesLeft = 1;
        }
        if (faults.Trigger(FaultInjector.Reorder) is { } reorder)
        {
            // Held until a later event has been delivered once, so the receiver sees them out of order.
            evt.State = "held";
            evt.HeldUntil = now + (reorder.DelayMs is { } ms ? TimeSpan.FromMilliseconds(ms) : DefaultReorderHold);
            return;
        }
        var delay = faults.Trigger(FaultInjector.Delay) is { } d ? TimeSpan.FromMilliseconds(d.DelayMs ?? 1000) : TimeSpan.Zero;
        evt.State = "pending";
        evt.NextAttemptAt = now + delay;
    }

    /// <summary>Events whose next delivery is due, marked in flight so no one else sends them.</summary>
    public List<SimEvent> TakeDue()
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            var due = new List<SimEvent>();
            foreach (var evt in _events)
            {
                if (evt.State == "held" && evt.HeldUntil <= now)
                {
                    Release(evt, now);
                }
                if (evt.State == "pending" && !evt.InFlight && evt.NextAttemptAt <= now)
                {
                    evt.InFlight = true;
                    due.Add(evt);
                }
            }
            return due;
        }
    }

    public void Complete(SimEvent evt, DeliveryAttempt attempt)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            evt.InFlight = false;
            evt.Attempts.Add(attempt);
            foreach (var held in _events.Where(e => e.State == "held" && e.Sequence < evt.Sequence))
            {
                Release(held, now);
            }
            if (evt.ReplayRequested)
            {
                // Whatever this delivery's outcome, the replay asked for meanwhile starts a fresh cycle now.
                evt.ReplayRequested = false;
                StartCycle(evt, now);
                return;
            }
            if (attempt.Succeeded)
            {
                if (evt.DuplicatesLeft > 0)
                {
                    evt.DuplicatesLeft--;
                    evt.NextAttemptAt = now;
                    return;
                }
                evt.State = "delivered";
                evt.NextAttemptAt = null;
                return;
            }
            evt.CycleFailures++;
            if (evt.CycleFailures >= MaxDeliveries)
            {
                evt.State = "failed";
                evt.NextAttemptAt = null;
                return;
            }
            evt.NextAttemptAt = now + RetrySchedule[evt.CycleFailures - 1] * _options.WebhookRetryScale;
        }
    }

    /// <summary>Sends the same event (same bytes) again now, with a fresh retry cycle.</summary>
    public bool Replay(string eventId)
    {
        lock (_gate)
        {
            var evt = _events.FirstOrDefault(e => e.Id == eventId);
            if (evt is null || !Enabled) return false;
            if (evt.InFlight)
            {
                // Its completion would otherwise overwrite the replay with the in-flight delivery's outcome.
                evt.ReplayRequested = true;
                return true;
            }
            StartCycle(evt, time.GetUtcNow());
            return true;
        }
    }

    private static void StartCycle(SimEvent evt, DateTimeOffset now)
    {
        evt.State = "pending";
        evt.CycleFailures = 0;
        evt.NextAttemptAt = now;
    }

    public JsonArray AdminJson()
    {
        lock (_gate)
        {
            var data = new JsonArray();
            foreach (var evt in _events) data.Add(evt.ToAdminJson());
            return data;
        }
    }

    private static void Release(SimEvent evt, DateTimeOffset now)
    {
        evt.State = "pending";
        evt.HeldUntil = null;
        evt.NextAttemptAt = now;
    }
}
