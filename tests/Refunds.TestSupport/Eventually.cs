namespace Refunds.TestSupport;

/// <summary>
/// The one polling helper: asks again until the answer is the one awaited or the time is up, then fails with a
/// message saying what was awaited and what was last seen.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Calls <paramref name="probe"/> until <paramref name="done"/> holds for its answer, which it returns; throws a
    /// <see cref="TimeoutException"/> after <paramref name="timeout"/> naming <paramref name="what"/> and the last
    /// answer as <paramref name="describe"/> puts it.
    /// </summary>
    public static async Task<T> ReturnsAsync<T>(
        Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what, Func<T, string>? describe = null, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(done);
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var answer = await probe();
            if (done(answer))
            {
                return answer;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"{what}: not there after {timeout}" + (describe is null ? "." : $"; last seen: {describe(answer)}"));
            }

            await Task.Delay(interval ?? DefaultInterval);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds; fails after <paramref name="timeout"/> naming <paramref name="what"/>.</summary>
    public static Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, TimeSpan? interval = null)
        => ReturnsAsync(condition, held => held, timeout, what, interval: interval);

    /// <summary>Waits until <paramref name="condition"/> holds; fails after <paramref name="timeout"/> naming <paramref name="what"/>.</summary>
    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what, TimeSpan? interval = null)
        => ReturnsAsync(() => Task.FromResult(condition()), held => held, timeout, what, interval: interval);
}
