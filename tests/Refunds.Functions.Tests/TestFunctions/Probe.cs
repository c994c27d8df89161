using System.Collections.Concurrent;

namespace Refunds.Functions.Tests.TestFunctions;

public sealed record Invocation(string Function, string Text, string? MessageId, long DequeueCount, bool IsPastDue, DateTimeOffset StartedAt, DateTimeOffset EndedAt);

/// <summary>What the test functions saw; one per dev host (a DI singleton), so parallel tests don't mix.</summary>
public sealed class Probe
{
    private readonly ConcurrentQueue<Invocation> _invocations = new();
    private readonly SemaphoreSlim _recorded = new(0);
    private int _running;
    private int _maxRunning;

    public TimeSpan Hold { get; init; } = TimeSpan.FromMilliseconds(300);

    public IReadOnlyList<Invocation> Invocations => [.. _invocations];

    public int MaxConcurrent => Volatile.Read(ref _maxRunning);

    public int Enter()
    {
        var now = Interlocked.Increment(ref _running);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxRunning)) && Interlocked.CompareExchange(ref _maxRunning, now, seen) != seen)
        {
        }

        return now;
    }

    public void Exit() => Interlocked.Decrement(ref _running);

    public void Record(Invocation invocation)
    {
        _invocations.Enqueue(invocation);
        _recorded.Release();
    }

    /// <summary>Waits (bounded, so a broken host fails the test instead of hanging it) until <paramref name="done"/> holds.</summary>
    public async Task<IReadOnlyList<Invocation>> WaitUntilAsync(Func<IReadOnlyList<Invocation>, bool> done, int timeoutSeconds = 60)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        while (!done(Invocations))
        {
            try
            {
                await _recorded.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Gave up waiting; saw {Invocations.Count} invocations: {string.Join("; ", Invocations)}");
            }
        }

        return Invocations;
    }
}
