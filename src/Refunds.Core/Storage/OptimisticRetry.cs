namespace Refunds.Core.Storage;

/// <summary>
/// The one optimistic-concurrency loop of the table stores: read → decide → write with the ETag read, again after a
/// lost race (412/409), with a short randomized backoff, at most <see cref="MaxAttempts"/> times; then
/// <see cref="LedgerContentionException"/>. The attempt decides what a lost race is: it returns <see cref="Again"/>
/// (back off, then try again), <see cref="AgainNow"/> (the state it saw was stale, e.g. a row vanished between two
/// reads: try again at once) or its result.
/// </summary>
internal static class OptimisticRetry
{
    public const int MaxAttempts = 64;

    /// <summary>Lost a race: back off, then try again.</summary>
    public static RetrySignal Again { get; } = new(BackOff: true);

    /// <summary>Saw a stale state: try again at once.</summary>
    public static RetrySignal AgainNow { get; } = new(BackOff: false);

    /// <param name="what">Completes "Could not … : too much contention", e.g. <c>update refund request r1</c>.</param>
    /// <param name="attempt">One try; receives the attempt number (0 first).</param>
    public static async Task<T> RunAsync<T>(string what, Func<int, Task<OptimisticAttempt<T>>> attempt, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        for (var i = 0; i < MaxAttempts; i++)
        {
            var result = await attempt(i).ConfigureAwait(false);
            if (result.IsDone)
            {
                return result.Value!;
            }

            if (result.BackOff)
            {
                await BackOffAsync(i, ct).ConfigureAwait(false);
            }
        }

        throw new LedgerContentionException(what);
    }

    /// <summary>5 ms up to 20-120 ms, growing with the attempt, random so that racing writers spread out.</summary>
    private static Task BackOffAsync(int attempt, CancellationToken ct)
        => Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 + Math.Min(attempt, 10) * 10)), ct);
}

/// <summary>What one try of <see cref="OptimisticRetry.RunAsync{T}"/> came to.</summary>
internal readonly record struct OptimisticAttempt<T>
{
    private OptimisticAttempt(bool isDone, T? value, bool backOff) => (IsDone, Value, BackOff) = (isDone, value, backOff);

    public bool IsDone { get; }

    public T? Value { get; }

    public bool BackOff { get; }

    public static implicit operator OptimisticAttempt<T>(T value) => new(true, value, false);

    public static implicit operator OptimisticAttempt<T>(RetrySignal signal) => new(false, default, signal.BackOff);
}

/// <summary><see cref="OptimisticRetry.Again"/> or <see cref="OptimisticRetry.AgainNow"/>.</summary>
internal readonly record struct RetrySignal(bool BackOff);

/// <summary>An optimistic write lost its race <see cref="OptimisticRetry.MaxAttempts"/> times in a row.</summary>
public sealed class LedgerContentionException : InvalidOperationException
{
    public LedgerContentionException()
        : base("Too much contention.")
    {
    }

    public LedgerContentionException(string what)
        : base($"Could not {what}: too much contention.")
    {
    }

    public LedgerContentionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
