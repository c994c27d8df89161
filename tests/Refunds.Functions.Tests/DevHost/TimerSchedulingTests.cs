using Microsoft.Extensions.DependencyInjection;
using Refunds.DevHost;
using Refunds.Functions.Tests.TestFunctions;

namespace Refunds.Functions.Tests.DevHost;

public sealed class TimerSchedulingTests
{
    [Fact]
    public async Task Timer_runs_on_its_resolved_schedule_one_at_a_time_and_flags_a_missed_occurrence_as_past_due()
    {
        var probe = new Probe { Hold = TimeSpan.FromMilliseconds(1500) };
        var options = new DevHostOptions
        {
            FunctionsAssembly = typeof(Probe).Assembly,
            Functions = ["Ticks"],
            ConfigureServices = services => services.AddSingleton(probe),
        };
        options.Settings["TickSchedule"] = "* * * * * *";
        await using var host = await RunningDevHost.StartAsync(options);

        Assert.Equal("* * * * * *", host.Functions["Ticks"].Schedule);
        var seen = await probe.WaitUntilAsync(i => i.Count >= 3);

        Assert.Equal(1, probe.MaxConcurrent);
        Assert.False(seen[0].IsPastDue);
        // The first run held 1.5 s over a 1 s schedule: the occurrence it overran is run next, flagged past due.
        Assert.True(seen[1].IsPastDue);
        Assert.True(seen[1].StartedAt >= seen[0].EndedAt);
    }

    [Fact]
    public async Task A_schedule_that_is_not_six_field_ncrontab_stops_the_host_at_startup()
    {
        var options = new DevHostOptions { FunctionsAssembly = typeof(Probe).Assembly, Functions = ["Ticks"] };
        options.Settings["TickSchedule"] = "0 */5 * * *";

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunningDevHost.StartAsync(options));
        Assert.Contains("Ticks", error.Message);
        Assert.Contains("0 */5 * * *", error.Message);
    }

    [Fact]
    public async Task A_trigger_setting_that_is_missing_stops_the_host_naming_the_setting()
    {
        var options = new DevHostOptions { FunctionsAssembly = typeof(Probe).Assembly, Functions = ["Ticks"] };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunningDevHost.StartAsync(options));
        Assert.Contains("TickSchedule", error.Message);
    }
}
