using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Pingpp.Simulator.Faults;
using Refunds.Core.Ledger;
using Refunds.DevHost;
using Refunds.DevHost.Keys;
using Refunds.EndToEndTests.Support;
using Refunds.Functions.Tests;
using Xunit.Abstractions;

namespace Refunds.EndToEndTests;

/// <summary>
/// The app scaled out to two local hosts on one storage account, queue and host id (as Azure scales out): refund
/// requests submitted over HTTP to both, with Ping++ failing and losing creates, messages delivered twice and
/// webhooks duplicated, while the reconciliation timer fires every few seconds on whichever instance holds its lock.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class TwoInstancesTests(ITestOutputHelper output)
{
    private const int Requests = 300;
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(150);

    [LocalHostOnlyFact("the timer's overlap check reads each instance's own run records, which only the in-process local host keeps")]
    [Trait("Category", "Load")]
    public async Task Two_instances_make_one_refund_per_request_lose_none_agree_with_ping_after_one_reconciliation_and_never_run_the_timer_on_both_at_once()
    {
        await using var system = await RefundSystem.StartAsync(new RefundSystemOptions
        {
            StorageConnectionString = TestStorage.ConnectionString,
            Instances = 2,
            ReconcileSchedule = "*/3 * * * * *",
        });
        output.WriteLine($"host: {system.Host.Description}, 2 instances ({string.Join(", ", system.Urls)})");
        var requests = new List<Refunds.Core.Refunds.RefundRequest>(Requests);
        for (var batch = 0; batch < Requests; batch += 50)
        {
            requests.AddRange(await Task.WhenAll(Enumerable.Range(batch, 50).Select(i => system.SeededRequestAsync($"two-{i:D3}-{Guid.NewGuid():N}", 100 + i))));
        }

        await system.Sim.SetFaultsAsync(new Dictionary<string, FaultSpec>
        {
            [FaultInjector.ErrorBeforeCreate] = new() { Rate = 0.10 },
            [FaultInjector.ErrorAfterCreate] = new() { Rate = 0.05 },
            [FaultInjector.Duplicate] = new() { Rate = 0.10 },
            [FaultInjector.Drop] = new() { Rate = 0.05 },
        });

        // Even requests go to instance 0 with SubmitRefund's own key, odd ones to instance 1 with the host key; every
        // tenth is also delivered a second time straight onto the queue (a duplicate message).
        using var first = system.CreateClient(0, system.Keys.For("SubmitRefund")[SecretsFolder.DefaultKeyName]);
        using var second = system.CreateClient(1, system.Keys.HostKeys[SecretsFolder.DefaultKeyName]);
        var statuses = new ConcurrentBag<HttpStatusCode>();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(requests.Select((r, i) => (r, i)), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (item, ct) =>
        {
            statuses.Add((await RefundApi.SubmitAsync(item.i % 2 == 0 ? first : second, item.r)).Status);
            if (item.i % 10 == 0)
            {
                await system.RequestQueue.EnqueueAsync(item.r, ct);
            }
        });
        var submitSeconds = clock.Elapsed.TotalSeconds;
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Accepted, s));

        var ids = requests.Select(r => r.RequestId).ToList();
        var processed = await system.WaitForAllAsync(ids, r => r.State is RefundRequestState.Submitted or RefundRequestState.Succeeded or RefundRequestState.Failed
            or RefundRequestState.Rejected or RefundRequestState.DeadLettered, ProcessTimeout);
        var processSeconds = clock.Elapsed.TotalSeconds;
        await system.WaitForQueuesDrainedAsync(TimeSpan.FromSeconds(60));
        Assert.DoesNotContain(processed.Values, r => r.State is RefundRequestState.DeadLettered or RefundRequestState.Failed or RefundRequestState.Rejected);

        await system.WaitForWebhooksSentAsync(TimeSpan.FromSeconds(60));
        var faults = await system.Sim.GetFaultsAsync();
        Assert.True(faults[FaultInjector.ErrorBeforeCreate].Triggered > 0 && faults[FaultInjector.ErrorAfterCreate].Triggered > 0, "create faults fired");
        Assert.True(faults[FaultInjector.Duplicate].Triggered > 0 && faults[FaultInjector.Drop].Triggered > 0, "webhook faults fired");

        // The timer's own records, from both instances: runs never overlap in time, whichever instance made them.
        var runs = Enumerable.Range(0, 2)
            .SelectMany(i => system.Services(i).GetRequiredService<ServedFunctions>()["Reconcile"].TimerRuns.Select(r => (Instance: i, Run: r)))
            .OrderBy(r => r.Run.StartedAt)
            .ToList();
        var summary = await system.Reconciler.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(90));
        output.WriteLine($"{Requests} requests submitted over HTTP in {submitSeconds:F1} s, processed in {processSeconds:F1} s ({Requests / processSeconds:F1}/s); "
            + $"attempts {processed.Values.Sum(r => r.Attempt)} (max {processed.Values.Max(r => r.Attempt)}); "
            + "faults: " + string.Join(", ", faults.Select(f => $"{f.Key} {f.Value.Triggered}")));
        output.WriteLine($"timer runs: {runs.Count} ({runs.Count(r => r.Run.IsPastDue)} past due), instance 0: {runs.Count(r => r.Instance == 0)}, instance 1: {runs.Count(r => r.Instance == 1)}");
        output.WriteLine($"final reconciliation: {summary.OrdersChecked} orders, {summary.RefundsUpdated} refunds updated, {summary.Adopted} adopted, "
            + $"{summary.ReEnqueued} re-enqueued, {summary.OrdersFailed} failed, {summary.Discrepancies} discrepancies in {summary.Duration.TotalSeconds:F1} s");
        Assert.True(runs.Count >= 2, $"the timer ran ({runs.Count} runs)");
        for (var i = 1; i < runs.Count; i++)
        {
            Assert.True(runs[i].Run.StartedAt >= runs[i - 1].Run.EndedAt,
                $"timer run on instance {runs[i].Instance} started at {runs[i].Run.StartedAt:O} while the one on instance {runs[i - 1].Instance} ran until {runs[i - 1].Run.EndedAt:O}");
        }

        Assert.Equal(0, summary.OrdersFailed);

        // Exactly one refund per request at Ping++, none lost, and the ledger agrees with Ping++ on every one.
        await LedgerAgreement.AssertOneSucceededRefundEachAndLedgerAgreesAsync(system, requests);
    }
}
