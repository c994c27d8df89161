using System.Diagnostics;
using Pingpp.Simulator.Faults;
using Refunds.Core.Ledger;
using Refunds.EndToEndTests.Support;
using Refunds.Functions.Tests;
using Xunit.Abstractions;

namespace Refunds.EndToEndTests;

/// <summary>
/// 500 refund requests through the dev host (real queue listener, Azurite, the simulator) while the simulator loses
/// creates before and after performing them and duplicates, reorders and drops webhooks (issue 7 §2).
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class RefundsUnderFaultsTests(ITestOutputHelper output)
{
    private const int Requests = 500;
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(150);

    /// <param name="stripMetadata">Ping++ echoes no metadata (issue 21 §4): lost creates are found by charge and amount.</param>
    [Theory]
    [Trait("Category", "Load")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Five_hundred_requests_under_create_and_webhook_faults_make_one_refund_each_and_one_reconciliation_makes_the_ledger_agree(bool stripMetadata)
    {
        // 15% of creates fail (10% before, 5% after Ping++ acts). With the host's default 5 deliveries a request is
        // poisoned when all 5 attempts fail: 0.15^5 × 500 requests ≈ 4% of runs dead-letter one request by design (seen
        // once in CI). This test is about one refund each and no loss under faults, not about the poison path (tested
        // elsewhere), so it allows 10 deliveries: 0.15^10 × 500 ≈ 3·10⁻⁶.
        await using var system = await RefundSystem.StartAsync(new RefundSystemOptions { StorageConnectionString = TestStorage.ConnectionString, MaxDequeueCount = 10 });
        output.WriteLine($"host: {system.Host.Description}");
        var requests = new List<Refunds.Core.Refunds.RefundRequest>(Requests);
        var seedClock = Stopwatch.StartNew();
        for (var batch = 0; batch < Requests; batch += 50)
        {
            requests.AddRange(await Task.WhenAll(Enumerable.Range(batch, 50).Select(i => system.SeededRequestAsync($"flt-{i:D3}-{Guid.NewGuid():N}", 100 + i))));
        }

        output.WriteLine($"seeded {Requests} orders in {seedClock.Elapsed.TotalSeconds:F1} s");
        var faultSet = new Dictionary<string, FaultSpec>
        {
            [FaultInjector.ErrorBeforeCreate] = new() { Rate = 0.10 },
            [FaultInjector.ErrorAfterCreate] = new() { Rate = 0.05 },
            [FaultInjector.Duplicate] = new() { Rate = 0.10 },
            [FaultInjector.Reorder] = new() { Rate = 0.10, DelayMs = 500 },
            [FaultInjector.Drop] = new() { Rate = 0.05 },
        };
        if (stripMetadata)
        {
            faultSet[FaultInjector.StripMetadata] = new();
        }

        await system.Sim.SetFaultsAsync(faultSet);

        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (r, ct) => await system.RequestQueue.EnqueueAsync(r, ct));
        var ids = requests.Select(r => r.RequestId).ToList();
        // Every request leaves the processor: submitted to Ping++ (or already settled by a webhook), none lost or dead-lettered.
        var processed = await system.WaitForAllAsync(ids, r => r.State is RefundRequestState.Submitted or RefundRequestState.Succeeded or RefundRequestState.Failed
            or RefundRequestState.Rejected or RefundRequestState.DeadLettered, ProcessTimeout);
        var processSeconds = clock.Elapsed.TotalSeconds;
        await system.WaitForQueuesDrainedAsync(TimeSpan.FromSeconds(60));
        var faults = await system.Sim.GetFaultsAsync();
        output.WriteLine($"{Requests} requests processed in {processSeconds:F1} s: {Requests / processSeconds:F1} requests/s "
            + $"(attempts: {processed.Values.Sum(r => r.Attempt)}, max {processed.Values.Max(r => r.Attempt)})");
        output.WriteLine("faults triggered: " + string.Join(", ", faults.Select(f => $"{f.Key} {f.Value.Triggered}")));
        Assert.DoesNotContain(processed.Values, r => r.State is RefundRequestState.DeadLettered or RefundRequestState.Failed or RefundRequestState.Rejected);
        Assert.True(faults[FaultInjector.ErrorBeforeCreate].Triggered > 0 && faults[FaultInjector.ErrorAfterCreate].Triggered > 0, "create faults fired");

        // Ping++ settles every refund and sends (or drops) its webhooks; then one reconciliation run.
        await system.WaitForWebhooksSentAsync(TimeSpan.FromSeconds(60));
        faults = await system.Sim.GetFaultsAsync();
        output.WriteLine("faults triggered after webhooks: " + string.Join(", ", faults.Select(f => $"{f.Key} {f.Value.Triggered}")));
        Assert.True(faults[FaultInjector.Drop].Triggered > 0 && faults[FaultInjector.Duplicate].Triggered > 0 && faults[FaultInjector.Reorder].Triggered > 0, "webhook faults fired");
        var beforeReconcile = (await system.WaitForAllAsync(ids, _ => true, TimeSpan.FromSeconds(30))).Values.Count(r => r.State == RefundRequestState.Succeeded);
        var summary = await system.Reconciler.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(90));
        output.WriteLine($"before reconciliation {beforeReconcile} of {Requests} succeeded (webhooks); reconciliation: {summary.OrdersChecked} orders checked, "
            + $"{summary.RefundsUpdated} refunds updated, {summary.Adopted} adopted, {summary.ReEnqueued} re-enqueued, {summary.OrdersFailed} failed, "
            + $"{summary.Discrepancies} discrepancies, {summary.PingppCalls} Ping++ calls in {summary.Duration.TotalSeconds:F1} s; total {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(0, summary.OrdersFailed);

        // Exactly one refund per request at Ping++, and the ledger agrees with it on every one.
        await LedgerAgreement.AssertOneSucceededRefundEachAndLedgerAgreesAsync(system, requests);
    }
}
