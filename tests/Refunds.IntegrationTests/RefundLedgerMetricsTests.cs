using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using System.Diagnostics.Metrics;

namespace Refunds.IntegrationTests;

public sealed class RefundLedgerMetricsTests : IDisposable
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly RefundLedger _ledger;

    public RefundLedgerMetricsTests()
        => _ledger = new RefundLedger(
            Azurite.Tables(), new FakeTimeProvider(DateTimeOffset.UtcNow), NullLogger<RefundLedger>.Instance,
            Azurite.UniqueTable("mled"), Azurite.UniqueTable("midx"), _services.GetRequiredService<IMeterFactory>());

    public void Dispose() => _services.Dispose();

    private static PingppRefund Refund(string id, PingppRefundStatus status) => new()
    {
        Id = id,
        Amount = 300,
        Status = status,
        Succeed = status == PingppRefundStatus.Succeeded,
        Charge = "ch_1",
        FailureCode = status == PingppRefundStatus.Failed ? "channel_refund_failed" : null,
    };

    [Fact]
    public async Task A_refund_counts_as_succeeded_once_however_often_and_by_whom_it_is_reported()
    {
        var factory = _services.GetRequiredService<IMeterFactory>();
        using var succeeded = new MetricCollector<long>(factory, "Refunds", "refunds.succeeded");
        using var failed = new MetricCollector<long>(factory, "Refunds", "refunds.settled_failed");
        const string order = "2011609290000000777";

        await _ledger.ApplyRefundAsync(Refund("re_metrics000000000000000001", PingppRefundStatus.Pending), order, Ct);
        await _ledger.ApplyRefundAsync(Refund("re_metrics000000000000000001", PingppRefundStatus.Succeeded), order, Ct);
        await _ledger.ApplyRefundAsync(Refund("re_metrics000000000000000001", PingppRefundStatus.Succeeded), order, Ct);
        await _ledger.ApplyRefundAsync(Refund("re_metrics000000000000000002", PingppRefundStatus.Failed), order, Ct);
        await _ledger.ApplyRefundAsync(Refund("re_metrics000000000000000002", PingppRefundStatus.Failed), order, Ct);

        Assert.Equal(1, succeeded.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(1, failed.GetMeasurementSnapshot().EvaluateAsCounter());
    }
}
