using System.Diagnostics;
using Azure.Core;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Refunds.Core.Ledger;
using Refunds.Core.Refunds;
using Refunds.EndToEndTests.Support;
using Refunds.Functions.Tests;

namespace Refunds.Benchmarks;

/// <summary>
/// Refund throughput through the dev host's queue listener and the real processor with host.json's batch settings
/// (batchSize 16, newBatchThreshold 8: up to 24 messages in flight) against the same with batch size 1 (one at a
/// time), each against its own simulator adding 50 ms to every Ping++ call. A batch is timed from the first enqueue
/// until the simulator holds every refund and the queue holds no message (each one processed and deleted); then
/// every request is checked submitted.
/// </summary>
public static class RefundBatchBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = SideBySide.Option(args, "--rounds", 3);
        var requests = SideBySide.Option(args, "--requests", 200);
        var latencyMs = SideBySide.Option(args, "--latency-ms", 50);
        var latency = TimeSpan.FromMilliseconds(latencyMs);

        var batchedSide = new Side();
        var singleSide = new Side();
        await using var batched = await RefundSystem.StartAsync(Options(16, 8, latency, batchedSide.Counter));
        await using var single = await RefundSystem.StartAsync(Options(1, 0, latency, singleSide.Counter));
        Console.WriteLine($"refund-batch: {requests} requests per batch, Ping++ API latency {latencyMs} ms, {rounds} rounds; storage {TestStorage.ConnectionString.Split(';')[0]}");
        var result = await SideBySide.RunAsync(
            "ours: batchSize 16, newBatchThreshold 8",
            () => RunBatchAsync(batched, requests, batchedSide),
            "baseline: batchSize 1",
            () => RunBatchAsync(single, requests, singleSide),
            rounds);
        result.Print(goal: 8.0);
        foreach (var (name, side) in new[] { ("batch 16/8", batchedSide), ("batch 1", singleSide) })
        {
            Console.WriteLine($"  {name}: per refund {side.Reads / (double)side.Refunds:F1} table reads + {side.Writes / (double)side.Refunds:F1} table writes, "
                + $"{side.Cpu.TotalMilliseconds / side.Refunds:F1} ms CPU of this process (dev host + simulator + driver; Azurite not included); "
                + $"median batch wall {SideBySide.Median(side.Walls):F1} s");
        }

        return 0;
    }

    /// <summary>What one contender spent over all its batches (warm-up included).</summary>
    private sealed class Side
    {
        public CountingPolicy Counter { get; } = new();
        public long Reads { get; set; }
        public long Writes { get; set; }
        public long Refunds { get; set; }
        public TimeSpan Cpu { get; set; }
        public List<double> Walls { get; } = [];
    }

    private static RefundSystemOptions Options(int batchSize, int threshold, TimeSpan latency, CountingPolicy counter) => new()
    {
        ConfigureServices = services =>
        {
            var tableOptions = new TableClientOptions();
            tableOptions.AddPolicy(counter, HttpPipelinePosition.PerRetry);
            services.Replace(ServiceDescriptor.Singleton(new TableServiceClient(TestStorage.ConnectionString, tableOptions)));
        },
        StorageConnectionString = TestStorage.ConnectionString,
        BatchSize = batchSize,
        NewBatchThreshold = threshold,
        ApiLatency = latency,
        SettleDelay = null,
        Webhooks = false,
        // Production proportions; the timeouts never fire here (no faults), they only have to be valid.
        RequestTimeout = TimeSpan.FromSeconds(10),
        GracePeriod = TimeSpan.FromSeconds(30),
        LeaseDuration = TimeSpan.FromSeconds(60),
        VisibilityTimeout = TimeSpan.FromSeconds(30),
    };

    private static async Task<double> RunBatchAsync(RefundSystem system, int count, Side side)
    {
        var batch = Guid.NewGuid().ToString("N")[..8];
        var requests = new List<RefundRequest>(count);
        for (var i = 0; i < count; i += 50)
        {
            requests.AddRange(await Task.WhenAll(Enumerable.Range(i, Math.Min(50, count - i)).Select(j => system.SeededRequestAsync($"bench-{batch}-{j:D4}", 100 + j))));
        }

        side.Counter.Reset();
        var before = system.Simulator.RefundCount;
        var cpu = Environment.CpuUsage.TotalTime;
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (r, ct) => await system.RequestQueue.EnqueueAsync(r, ct));
        var deadline = TimeSpan.FromMinutes(5);
        // Wait in process for the simulator to hold every refund (polling storage here would load what is measured),
        // then for the queue to be empty: each message processed and deleted.
        var target = before + count;
        while (system.Simulator.RefundCount < target)
        {
            if (clock.Elapsed > deadline)
            {
                throw new TimeoutException($"{target - system.Simulator.RefundCount} refunds not created after {deadline}");
            }

            await Task.Delay(5);
        }

        while ((await system.Queue.GetPropertiesAsync()).Value.ApproximateMessagesCount > 0)
        {
            if (clock.Elapsed > deadline)
            {
                throw new TimeoutException($"queue {system.Queue.Name} not drained after {deadline}");
            }

            await Task.Delay(20);
        }

        var rate = count / clock.Elapsed.TotalSeconds;
        side.Cpu += Environment.CpuUsage.TotalTime - cpu;
        side.Reads += side.Counter.Reads;
        side.Writes += side.Counter.Writes;
        side.Refunds += count;
        side.Walls.Add(clock.Elapsed.TotalSeconds);
        var done = await system.WaitForAllAsync(requests.Select(r => r.RequestId).ToList(), r => r.State == RefundRequestState.Submitted, TimeSpan.FromSeconds(30));
        if (done.Values.Any(r => r.RefundIds.Count != 1))
        {
            throw new InvalidOperationException("a request did not end with exactly one refund");
        }

        return rate;
    }
}
