using System.Collections.Concurrent;
using Azure.Core;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Webhooks;
using Refunds.EndToEndTests.Support;
using Refunds.Functions.Tests.Webhooks;
using Xunit.Abstractions;

namespace Refunds.EndToEndTests;

/// <summary>
/// Table Storage (an Azurite of the test's own, persisting to disk) stops and comes back in the middle of a run of
/// webhook deliveries.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class StorageRestartTests(ITestOutputHelper output)
{
    private const int Concurrency = 16;
    private const int StopAfter = 150;
    private const int DownFor = 150;
    private const int UpAgainFor = 150;
    private const int MaxEvents = 5_000;
    private const int MaxRedeliveryRounds = 5;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    private enum Phase { Up, Stopping, Down, Restarting, UpAgain }

    [LocalHostOnlyFact("the app is given a storage client with short SDK retries through DI, which only the in-process local host takes")]
    [Trait("Category", "Load")]
    public async Task Webhooks_delivered_while_storage_is_down_get_500_and_their_redeliveries_store_and_apply_each_event_exactly_once()
    {
        await using var azurite = await AzuriteProcess.StartAsync();
        // Few, quick SDK retries: an outage must show as a 500 to Ping++, not as a delivery that hangs.
        var clientOptions = new TableClientOptions();
        clientOptions.Retry.MaxRetries = 1;
        clientOptions.Retry.Mode = RetryMode.Fixed;
        clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(50);
        clientOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        var storage = new TableServiceClient(azurite.ConnectionString, clientOptions);
        var tables = WebhookTables.Unique();
        using var signer = new TestWebhookSigner();
        await using var host = await WebhookHost.StartAsync([signer.PublicKeyPem], tables: tables, storage: storage);
        output.WriteLine($"host: {RefundSystem.HostName}");
        var store = new WebhookEventStore(storage, tables.Events);
        var ledger = new RefundLedger(storage, TimeProvider.System, NullLogger<RefundLedger>.Instance, tables.Ledger, tables.Index);

        // Traffic keeps coming until enough deliveries have started after Azurite is back (bounded).
        var events = new ConcurrentQueue<SignedRefundEvent>();
        var phase = (int)Phase.Up;
        var completed = 0;
        var startedUpAgain = 0;
        IEnumerable<SignedRefundEvent> Traffic()
        {
            for (var i = 0; i < MaxEvents && Volatile.Read(ref startedUpAgain) < UpAgainFor; i++)
            {
                var e = SignedRefundEvent.Create(signer, amount: 100 + i);
                events.Enqueue(e);
                yield return e;
            }
        }

        var answers = new ConcurrentBag<(SignedRefundEvent Event, int Status, bool ReachedFunction, Phase Started, Phase Ended)>();

        var outage = Task.Run(async () =>
        {
            await WaitUntilAsync(() => Volatile.Read(ref completed) >= StopAfter);
            Volatile.Write(ref phase, (int)Phase.Stopping);
            await azurite.StopAsync();
            var downAt = Volatile.Read(ref completed);
            Volatile.Write(ref phase, (int)Phase.Down);
            await WaitUntilAsync(() => Volatile.Read(ref completed) >= downAt + DownFor);
            Volatile.Write(ref phase, (int)Phase.Restarting);
            await azurite.RestartAsync();
            Volatile.Write(ref phase, (int)Phase.UpAgain);
        });

        await Parallel.ForEachAsync(Traffic(), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (e, _) =>
        {
            var started = (Phase)Volatile.Read(ref phase);
            if (started == Phase.UpAgain)
            {
                Interlocked.Increment(ref startedUpAgain);
            }

            var answer = await host.PostAsync(e.Body, e.Signature);
            answers.Add((e, answer.Status, answer.ReachedFunction, started, (Phase)Volatile.Read(ref phase)));
            Interlocked.Increment(ref completed);
        }).WaitAsync(RunTimeout);
        await outage.WaitAsync(RunTimeout);

        var whileDown = answers.Where(a => a is { Started: Phase.Down, Ended: Phase.Down }).ToList();
        var afterRestart = answers.Where(a => a.Started == Phase.UpAgain).ToList();
        output.WriteLine($"{answers.Count} deliveries: {answers.Count(a => a.Status == 200)} stored, {answers.Count(a => a.Status == 500)} answered 500 "
            + $"({whileDown.Count} started and ended while Azurite was down; {afterRestart.Count} started after it was back)");
        Assert.NotEmpty(whileDown);
        Assert.All(whileDown, a => Assert.Equal(500, a.Status));
        Assert.NotEmpty(afterRestart);
        Assert.All(afterRestart, a => Assert.Equal(200, a.Status));
        Assert.All(answers, a => Assert.True(a.ReachedFunction && a.Status is 200 or 500, $"{a.Event.EventId}: {a.Status}"));

        // Ping++ redelivers every delivery that was not answered 2xx; storage is back.
        var pending = answers.Where(a => a.Status != 200).Select(a => a.Event).ToList();
        for (var round = 1; pending.Count > 0; round++)
        {
            Assert.True(round <= MaxRedeliveryRounds, $"{pending.Count} events still not accepted after {MaxRedeliveryRounds} redelivery rounds");
            var failed = new ConcurrentBag<SignedRefundEvent>();
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (e, _) =>
            {
                if ((await host.PostAsync(e.Body, e.Signature)).Status != 200)
                {
                    failed.Add(e);
                }
            }).WaitAsync(RunTimeout);
            output.WriteLine($"redelivery round {round}: {pending.Count} sent, {failed.Count} not accepted");
            pending = [.. failed];
        }

        // And Ping++ sometimes delivers everything again: nothing may change.
        var repeats = new ConcurrentBag<int>();
        await Parallel.ForEachAsync(events, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (e, _) =>
            repeats.Add((await host.PostAsync(e.Body, e.Signature)).Status)).WaitAsync(RunTimeout);
        Assert.All(repeats, s => Assert.Equal(200, s));

        // One event row each, and one time-index row each (the event log's, keys from "~i~"): written in one transaction.
        var rowKeys = await RowKeysAsync(storage.GetTableClient(tables.Events));
        Assert.Equal(events.Count, rowKeys.Count(k => !k.StartsWith('~')));
        Assert.Equal(events.Count, rowKeys.Count(k => k.StartsWith("~i~", StringComparison.Ordinal)));
        // At most one change per refund. A ledger write whose response the outage cut off took effect without the
        // receiver seeing it, so its redelivery finds the refund already succeeded: no change reported at all.
        var changesPerRefund = host.AppLedger.RefundApplies.Where(a => a.Changed).GroupBy(a => a.Refund.RefundId).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(changesPerRefund, c => Assert.Equal(1, c.Value));
        foreach (var e in events)
        {
            var stored = await store.GetAsync(e.EventId, CancellationToken.None);
            Assert.NotNull(stored);
            Assert.True(stored.Applied, $"{e.EventId} applied");
            Assert.Equal(e.Body, stored.Body.ToArray());
            var refund = await ledger.GetRefundAsync(e.RefundId, CancellationToken.None);
            Assert.Equal(PingppRefundStatus.Succeeded, refund?.Status);
            Assert.Equal(e.Amount, refund!.Amount);
        }
    }

    [Fact]
    [Trait("Category", "Load")]
    public async Task Refund_requests_in_flight_while_storage_restarts_all_end_succeeded_with_exactly_one_refund_each()
    {
        const int requestCount = 150;
        await using var azurite = await AzuriteProcess.StartAsync();
        await using var system = await RefundSystem.StartAsync(new RefundSystemOptions { StorageConnectionString = azurite.ConnectionString });
        output.WriteLine($"host: {system.Host.Description}");
        var requests = await Task.WhenAll(Enumerable.Range(0, requestCount).Select(i => system.SeededRequestAsync($"rst-{i:D3}-{Guid.NewGuid():N}", 100 + i)));
        var ids = requests.Select(r => r.RequestId).ToList();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (r, ct) => await system.RequestQueue.EnqueueAsync(r, ct));

        // Stop storage once the first refunds are made at Ping++, while most requests are still queued or being sent
        // (read in process, every 10 ms: the pipeline makes about a hundred refunds a second).
        for (var i = 0; i < 6000 && system.Simulator.RefundCount < 10; i++)
        {
            await Task.Delay(10);
        }

        await azurite.StopAsync();
        var atStop = (await system.Sim.GetRefundsAsync()).Count;
        await Task.Delay(TimeSpan.FromSeconds(5));
        var whileDown = (await system.Sim.GetRefundsAsync()).Count;
        await azurite.RestartAsync();
        output.WriteLine($"Azurite stopped with {atStop} of {requestCount} refunds made at Ping++, {whileDown - atStop} more made while it was down (5 s); restarted");
        Assert.True(atStop < requestCount, "storage stopped in the middle of the run");

        await system.WaitForAllAsync(ids, r => r.State is RefundRequestState.Submitted or RefundRequestState.Succeeded or RefundRequestState.DeadLettered
            or RefundRequestState.Failed, TimeSpan.FromSeconds(90));
        await system.WaitForQueuesDrainedAsync(TimeSpan.FromSeconds(60));
        await system.WaitForWebhooksSentAsync(TimeSpan.FromSeconds(60));
        var summary = await system.Reconciler.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"reconciliation: {summary.OrdersChecked} orders checked, {summary.RefundsUpdated} refunds updated, {summary.Adopted} adopted, {summary.OrdersFailed} failed");

        var simRefunds = await system.Sim.GetRefundsAsync();
        Assert.Equal(requestCount, simRefunds.Count);
        var final = await system.WaitForAllAsync(ids, r => r.State == RefundRequestState.Succeeded, TimeSpan.FromSeconds(30));
        foreach (var request in requests)
        {
            var refund = Assert.Single(simRefunds, r => r.RequestId == request.RequestId);
            Assert.Equal((request.OrderId, request.ChargeAmount!.Value, "succeeded"), (refund.OrderId, refund.Amount, refund.Status));
            Assert.Equal([refund.RefundId], final[request.RequestId].RefundIds);
        }
    }

    private static async Task<List<string>> RowKeysAsync(TableClient table)
    {
        var keys = new List<string>();
        await foreach (var row in table.QueryAsync<TableEntity>(select: ["RowKey"]))
        {
            keys.Add(row.RowKey);
        }

        return keys;
    }

    /// <summary>Polls a condition the run itself makes true; the bound is a hang guard.</summary>
    private static Task WaitUntilAsync(Func<bool> condition)
        => Eventually.TrueAsync(condition, TimeSpan.FromSeconds(60), "the delivery run stalled", TimeSpan.FromMilliseconds(50));
}
