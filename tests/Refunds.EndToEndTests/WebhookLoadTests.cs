using System.Collections.Concurrent;
using System.Diagnostics;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.EndToEndTests.Support;
using Refunds.Functions.Tests.Webhooks;
using Xunit.Abstractions;

namespace Refunds.EndToEndTests;

[Collection(EndToEndCollection.Name)]
public sealed class WebhookLoadTests(ITestOutputHelper output)
{
    private const int Deliveries = 5_000;
    private const int Concurrency = 64;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [LocalHostOnlyFact("the app's ledger is swapped for a counting one through DI, which only the in-process local host takes")]
    [Trait("Category", "Load")]
    public async Task Five_thousand_deliveries_at_concurrency_64_a_third_duplicates_store_each_event_once_and_change_the_ledger_once_per_refund()
    {
        using var signer = new TestWebhookSigner();
        await using var host = await WebhookHost.StartAsync([signer.PublicKeyPem]);
        output.WriteLine($"host: {RefundSystem.HostName}");
        var random = new Random(20261128);

        // A third of the deliveries repeat an event; a quarter of the events are refunds of requests we made
        // (seeded in the ledger, each in its own order), the rest external refunds (made in the dashboard).
        var uniqueCount = Deliveries - Deliveries / 3;
        var requests = new Dictionary<string, string>();
        var events = new List<SignedRefundEvent>(uniqueCount);
        for (var i = 0; i < uniqueCount; i++)
        {
            string? requestId = null;
            if (i % 4 == 0)
            {
                requestId = "rr_" + Guid.NewGuid().ToString("N");
                requests[requestId] = OrderId(random);
            }

            events.Add(SignedRefundEvent.Create(signer, amount: 100 + i, requestId));
        }

        var phase = Stopwatch.StartNew();
        // Each request was sent (claimed and written ahead): only a sent request can own a refund (RequestLinkCheck).
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (r, ct) =>
        {
            var created = await host.Ledger.CreateRequestAsync(new RefundRequestRecord { RequestId = r.Key, OrderId = r.Value, Description = "load" }, ct);
            Assert.True(created.Created);
            Assert.True((await host.Ledger.TryBeginSendAsync(created.Request, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10), ct)).SendMarked);
        });

        output.WriteLine($"seeded {requests.Count} requests in {phase.Elapsed.TotalSeconds:F1} s");
        var plan = events.Concat(Enumerable.Range(0, Deliveries - uniqueCount).Select(_ => events[random.Next(events.Count)])).ToArray();
        random.Shuffle(plan);

        var statuses = new ConcurrentBag<int>();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(plan, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (e, _) =>
            statuses.Add((await host.PostAsync(e.Body, e.Signature)).Status)).WaitAsync(RunTimeout);
        clock.Stop();

        output.WriteLine($"{Deliveries} deliveries ({uniqueCount} events, {Deliveries - uniqueCount} duplicates, {requests.Count} of our requests) "
            + $"at concurrency {Concurrency}: {clock.Elapsed.TotalSeconds:F1} s, {Deliveries / clock.Elapsed.TotalSeconds:F0} deliveries/s");

        Assert.Equal(Deliveries, statuses.Count);
        Assert.DoesNotContain(statuses, s => s >= 500);
        Assert.All(statuses, s => Assert.Equal(200, s));
        Assert.Equal(uniqueCount, await host.CountEventRowsAsync());

        // Every refund changed the ledger exactly once, however many deliveries (and concurrent applies) it had.
        var changesPerRefund = host.AppLedger.RefundApplies.Where(a => a.Changed).GroupBy(a => a.Refund.RefundId).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(uniqueCount, changesPerRefund.Count);
        Assert.All(changesPerRefund, c => Assert.Equal(1, c.Value));

        phase.Restart();
        var stored = new ConcurrentBag<(SignedRefundEvent Event, RefundRecord? Refund, bool Applied)>();
        await Parallel.ForEachAsync(events, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (e, ct) =>
            stored.Add((e, await host.Ledger.GetRefundAsync(e.RefundId, ct), (await host.Store.GetAsync(e.EventId, ct))?.Applied == true)));
        output.WriteLine($"read back {events.Count} events and refunds in {phase.Elapsed.TotalSeconds:F1} s");
        Assert.All(stored, s =>
        {
            Assert.True(s.Applied, $"event {s.Event.EventId} stored and marked applied");
            Assert.NotNull(s.Refund);
            Assert.Equal(PingppRefundStatus.Succeeded, s.Refund.Status);
            Assert.Equal(s.Event.Amount, s.Refund.Amount);
            Assert.Equal(s.Event.RequestId, s.Refund.RequestId);
            Assert.Equal(s.Event.RequestId is null, s.Refund.External);
            if (s.Event.RequestId is { } requestId)
            {
                Assert.Equal(requests[requestId], s.Refund.OrderId);
            }
        });
    }

    /// <summary>A Ping++-shaped order id: 19 digits.</summary>
    private static string OrderId(Random random) => "20" + random.NextInt64(10_000_000_000_000_000, 99_999_999_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
