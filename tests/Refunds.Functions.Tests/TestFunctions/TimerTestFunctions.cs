using Microsoft.Azure.Functions.Worker;

namespace Refunds.Functions.Tests.TestFunctions;

/// <summary>Holds every run for <see cref="Probe.Hold"/>; two hosts given one probe count their overlap.</summary>
public sealed class BeatingTimerFunction(Probe probe, TimeProvider time)
{
    [Function("Beats")]
    public Task Run([TimerTrigger("%BeatSchedule%")] TimerInfo timer, CancellationToken cancellationToken) => Held(probe, time, "Beats", timer);

    internal static async Task Held(Probe probe, TimeProvider time, string name, TimerInfo timer)
    {
        var started = time.GetUtcNow();
        probe.Enter();
        try
        {
            await Task.Delay(probe.Hold, CancellationToken.None);
        }
        finally
        {
            probe.Exit();
        }

        probe.Record(new Invocation(name, string.Empty, null, 0, timer.IsPastDue, started, time.GetUtcNow()));
    }
}

public sealed class StartupTimerFunction(Probe probe, TimeProvider time)
{
    [Function("StartupBeats")]
    public Task Run([TimerTrigger("%BeatSchedule%", RunOnStartup = true)] TimerInfo timer, CancellationToken cancellationToken)
        => BeatingTimerFunction.Held(probe, time, "StartupBeats", timer);
}
