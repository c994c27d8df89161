using System.Diagnostics.Metrics;
using Refunds.Core.Webhooks;

namespace Refunds.Core.Reconciliation;

/// <summary>Reconciliation counters and the run-duration histogram on the <c>Refunds</c> meter.</summary>
public sealed class ReconciliationMetrics
{
    private readonly Counter<long> _runs;
    private readonly Counter<long> _orders;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _updated;
    private readonly Counter<long> _adopted;
    private readonly Counter<long> _reEnqueued;
    private readonly Counter<long> _external;
    private readonly Counter<long> _discrepancies;
    private readonly Counter<long> _anomalies;
    private readonly Counter<long> _anomalyRefunds;
    private readonly Counter<long> _pingppCalls;
    private readonly Histogram<double> _duration;

    public ReconciliationMetrics(IMeterFactory? meterFactory = null)
    {
        var meter = meterFactory?.Create(WebhookMetrics.MeterName) ?? new Meter(WebhookMetrics.MeterName);
        _runs = meter.CreateCounter<long>("refunds.reconcile.runs", description: "Reconciliation runs (tag budget_exhausted).");
        _orders = meter.CreateCounter<long>("refunds.reconcile.orders_checked", description: "Open orders checked against Ping++.");
        _failed = meter.CreateCounter<long>("refunds.reconcile.orders_failed", description: "Orders whose check failed; retried next run.");
        _updated = meter.CreateCounter<long>("refunds.reconcile.refunds_updated", description: "Refunds whose status reconciliation moved forward.");
        _adopted = meter.CreateCounter<long>("refunds.reconcile.adopted", description: "Stuck requests whose refund was found at Ping++.");
        _reEnqueued = meter.CreateCounter<long>("refunds.reconcile.re_enqueued", description: "Stuck requests handed back to the refund queue.");
        _external = meter.CreateCounter<long>("refunds.reconcile.external", description: "Refunds made outside the app, recorded as external.");
        _discrepancies = meter.CreateCounter<long>("refunds.reconcile.discrepancies", description: "Discrepancies observed (tag kind).");
        _anomalies = meter.CreateCounter<long>("refunds.anomalies.detected", description: "Abnormal payments observed (tag kind, source).");
        _anomalyRefunds = meter.CreateCounter<long>("refunds.anomalies.refunds_enqueued", description: "Anomaly refund requests enqueued (AutoRefund).");
        _pingppCalls = meter.CreateCounter<long>("refunds.reconcile.pingpp_calls", description: "Ping++ API calls made by reconciliation.");
        _duration = meter.CreateHistogram<double>("refunds.reconcile.duration", unit: "ms", description: "Wall time of a reconciliation run.");
    }

    public void Run(ReconciliationSummary s)
    {
        _runs.Add(1, new KeyValuePair<string, object?>("budget_exhausted", s.BudgetExhausted));
        _orders.Add(s.OrdersChecked);
        _failed.Add(s.OrdersFailed);
        _updated.Add(s.RefundsUpdated);
        _adopted.Add(s.Adopted);
        _reEnqueued.Add(s.ReEnqueued);
        _external.Add(s.External);
        _anomalyRefunds.Add(s.AnomalyRefundsEnqueued);
        _pingppCalls.Add(s.PingppCalls);
        _duration.Record(s.Duration.TotalMilliseconds);
    }

    public void Discrepancy(DiscrepancyKind kind) => _discrepancies.Add(1, new KeyValuePair<string, object?>("kind", kind.ToString()));

    public void Anomaly(Refunds.AnomalyKind kind, string source)
        => _anomalies.Add(1, new KeyValuePair<string, object?>("kind", kind.ToString()), new KeyValuePair<string, object?>("source", source));
}
