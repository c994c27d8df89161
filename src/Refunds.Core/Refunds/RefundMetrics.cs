using System.Diagnostics.Metrics;

namespace Refunds.Core.Refunds;

/// <summary>Refund request counters on the <c>Refunds</c> meter.</summary>
public sealed class RefundMetrics
{
    public const string MeterName = Configuration.RefundsMeter.Name;

    private readonly Counter<long> _created;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _retryLater;

    public RefundMetrics(IMeterFactory? meterFactory = null)
    {
        var meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _created = meter.CreateCounter<long>("refunds.created", description: "Ping++ refunds recorded for our requests (created now or adopted from a listing).");
        _failed = meter.CreateCounter<long>("refunds.failed", description: "Refund requests Ping++ rejected (definite 4xx).");
        _rejected = meter.CreateCounter<long>("refunds.rejected", description: "Refund messages rejected as invalid, or not performed because their request id has other parameters.");
        _deadLettered = meter.CreateCounter<long>("refunds.dead_lettered", description: "Refund requests moved to DeadLettered from the poison queue.");
        _retryLater = meter.CreateCounter<long>("refunds.retry_later", description: "Deliveries handed back to the queue (rate limited, outcome unknown, claim held, grace period).");
    }

    public void Created(int refunds, string how) => _created.Add(refunds, new KeyValuePair<string, object?>("how", how));

    public void Failed(string? code) => _failed.Add(1, new KeyValuePair<string, object?>("code", code ?? "none"));

    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void DeadLettered() => _deadLettered.Add(1);

    public void RetryLater(string reason) => _retryLater.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
