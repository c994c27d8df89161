using System.Diagnostics.Metrics;
using Refunds.Core.Configuration;
using Refunds.Core.Pingpp;

namespace Refunds.Core.Ledger;

/// <summary>
/// Refunds settling at Ping++, counted where the ledger records the move (from a webhook, a listing or a create
/// answer alike), so each refund counts once whatever reported it.
/// </summary>
internal sealed class LedgerMetrics
{
    private readonly Counter<long> _succeeded;
    private readonly Counter<long> _failed;

    public LedgerMetrics(IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(RefundsMeter.Name) ?? new Meter(RefundsMeter.Name);
        _succeeded = meter.CreateCounter<long>("refunds.succeeded", description: "Refunds the ledger recorded as succeeded at Ping++.");
        _failed = meter.CreateCounter<long>("refunds.settled_failed", description: "Refunds the ledger recorded as failed at Ping++ (failure_code set).");
    }

    public void Settled(PingppRefundStatus status)
    {
        if (status == PingppRefundStatus.Succeeded)
        {
            _succeeded.Add(1);
        }
        else if (status == PingppRefundStatus.Failed)
        {
            _failed.Add(1);
        }
    }
}
