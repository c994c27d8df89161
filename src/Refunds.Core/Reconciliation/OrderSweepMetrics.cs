using System.Diagnostics.Metrics;
using Refunds.Core.Webhooks;

namespace Refunds.Core.Reconciliation;

/// <summary>Order-sweep counters on the <c>Refunds</c> meter.</summary>
public sealed class OrderSweepMetrics
{
    private readonly Counter<long> _runs;
    private readonly Counter<long> _pages;
    private readonly Counter<long> _orders;
    private readonly Counter<long> _found;
    private readonly Counter<long> _pingppCalls;

    public OrderSweepMetrics(IMeterFactory? meterFactory = null)
    {
        var meter = meterFactory?.Create(WebhookMetrics.MeterName) ?? new Meter(WebhookMetrics.MeterName);
        _runs = meter.CreateCounter<long>("refunds.sweep.runs", description: "Order-sweep runs (tag outcome).");
        _pages = meter.CreateCounter<long>("refunds.sweep.pages", description: "Pages of Ping++'s order list read by the sweep.");
        _orders = meter.CreateCounter<long>("refunds.sweep.orders_listed", description: "Orders listed by the sweep.");
        _found = meter.CreateCounter<long>("refunds.sweep.found", description: "Findings on orders none of our records point to (tag kind).");
        _pingppCalls = meter.CreateCounter<long>("refunds.sweep.pingpp_calls", description: "Ping++ API calls made by the sweep.");
    }

    public void Run(OrderSweepSummary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        _runs.Add(1, new KeyValuePair<string, object?>("outcome", s.Outcome.ToString()));
        _pages.Add(s.PagesRead);
        _orders.Add(s.OrdersListed);
        _pingppCalls.Add(s.PingppCalls);
    }

    public void Found(string kind) => _found.Add(1, new KeyValuePair<string, object?>("kind", kind));
}
