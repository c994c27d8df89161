using System.Diagnostics.Metrics;
using Refunds.Core.Webhooks;

namespace Refunds.Core.Reconciliation;

/// <summary>Counters of refunds whose order is unknown, on the <c>Refunds</c> meter.</summary>
public sealed class UnplacedRefundMetrics
{
    private readonly Counter<long> _kept;
    private readonly Counter<long> _lookups;

    public UnplacedRefundMetrics(IMeterFactory? meterFactory = null)
    {
        var meter = meterFactory?.Create(WebhookMetrics.MeterName) ?? new Meter(WebhookMetrics.MeterName);
        _kept = meter.CreateCounter<long>("refunds.unplaced.kept", description: "Refunds of an unknown order newly kept as unplaced.");
        _lookups = meter.CreateCounter<long>("refunds.unplaced.lookups", description: "Charge lookups of unplaced refunds (tag outcome: placed, not-found, not-ours, no-charge, failed).");
    }

    public void Kept() => _kept.Add(1);

    public void Lookup(string outcome) => _lookups.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
}
