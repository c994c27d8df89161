using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Refunds.Core.Reconciliation;

namespace Refunds.Core.UnitTests.Reconciliation;

public class OrderWatchOptionsTests
{
    private static readonly DateTimeOffset Entered = new(2026, 12, 6, 4, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_default_schedule_rechecks_after_ten_minutes_then_hourly_for_a_day_then_daily_until_the_thirty_day_window_ends()
    {
        var options = Bind([]);
        var schedule = options.Schedule();

        Assert.Equal((TimeSpan.FromDays(30), 200), (options.WatchWindow, options.RechecksPerRun));
        Assert.Equal(TimeSpan.FromMinutes(10), schedule.Due(Entered, 0) - Entered);
        Assert.Equal(TimeSpan.FromMinutes(70), schedule.Due(Entered, 1) - Entered);
        Assert.Equal(new TimeSpan(1, 0, 10, 0), schedule.Due(Entered, 24) - Entered);
        Assert.Equal(new TimeSpan(2, 0, 10, 0), schedule.Due(Entered, 25) - Entered);
        Assert.Equal(new TimeSpan(29, 0, 10, 0), schedule.Due(Entered, 52) - Entered);
        Assert.Equal(TimeSpan.FromDays(30), schedule.Due(Entered, 53) - Entered);
        Assert.Null(schedule.Due(Entered, 54));
        Assert.Equal(54, schedule.Count);
    }

    [Fact]
    public void A_gap_longer_than_the_window_gives_one_recheck_at_the_window_end()
    {
        var schedule = RecheckSchedule.TryParse("2.00:00:00", TimeSpan.FromDays(1), out var error)!;

        Assert.Null(error);
        Assert.Equal((1, TimeSpan.FromDays(1)), (schedule.Count, schedule.Due(Entered, 0)!.Value - Entered));
    }

    [Theory]
    [InlineData("Reconciliation:WatchWindow", "00:00:00", "Reconciliation__WatchWindow")]
    [InlineData("Reconciliation:WatchWindow", "400.00:00:00", "Reconciliation__WatchWindow")]
    [InlineData("Reconciliation:RecheckSchedule", "", "Reconciliation__RecheckSchedule")]
    [InlineData("Reconciliation:RecheckSchedule", "hourly", "Reconciliation__RecheckSchedule")]
    [InlineData("Reconciliation:RecheckSchedule", "01:00:00*0", "Reconciliation__RecheckSchedule")]
    [InlineData("Reconciliation:RecheckSchedule", "00:00:00", "Reconciliation__RecheckSchedule")]
    [InlineData("Reconciliation:RecheckSchedule", "00:00:01", "Reconciliation__RecheckSchedule")]
    [InlineData("Reconciliation:RechecksPerRun", "0", "Reconciliation__RechecksPerRun")]
    public void A_bad_watch_setting_fails_at_startup_naming_it(string key, string value, string setting)
    {
        var e = Assert.Throws<OptionsValidationException>(() => Bind(new() { [key] = value }));

        Assert.Contains(setting, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Short_test_settings_bind()
    {
        var options = Bind(new() { ["Reconciliation:WatchWindow"] = "00:01:00", ["Reconciliation:RecheckSchedule"] = "00:00:02,00:00:10", ["Reconciliation:RechecksPerRun"] = "5" });

        Assert.Equal(TimeSpan.FromSeconds(2), options.Schedule().Due(Entered, 0) - Entered);
        Assert.Equal(TimeSpan.FromSeconds(12), options.Schedule().Due(Entered, 1) - Entered);
        Assert.Equal((7, 5), (options.Schedule().Count, options.RechecksPerRun));
    }

    [Theory]
    [InlineData(null, null, OrderWatchRechecks.Verdict.Recheck)] // no watch row (the entry crashed before writing it), step free
    [InlineData(0, null, OrderWatchRechecks.Verdict.Recheck)] // the current watch, step free
    [InlineData(0, 1, OrderWatchRechecks.Verdict.Claimed)] // another run added the next step a minute ago
    [InlineData(0, 30, OrderWatchRechecks.Verdict.Recheck)] // added 30 minutes ago, lease over: that run died
    [InlineData(-5, null, OrderWatchRechecks.Verdict.Stale)] // the order entered the watch again since
    [InlineData(-5, 1, OrderWatchRechecks.Verdict.Stale)] // ... whatever the claim says
    [InlineData(5, null, OrderWatchRechecks.Verdict.Recheck)] // a due row newer than the watch row (that row's write was lost)
    public void One_recheck_per_step_whatever_the_watch_row_and_the_next_step_say(int? watchEnteredMinutesEarlier, int? claimedMinutesAgo, OrderWatchRechecks.Verdict expected)
    {
        var now = Entered.AddHours(1);
        var due = new OrderWatchEntry("ord", Entered, 0, Entered.AddMinutes(10));
        DateTimeOffset? watch = watchEnteredMinutesEarlier is { } earlier ? Entered.AddMinutes(-earlier) : null;
        DateTimeOffset? claimed = claimedMinutesAgo is { } ago ? now.AddMinutes(-ago) : null;

        Assert.Equal(expected, OrderWatchRechecks.Judge(due, watch, claimed, now, TimeSpan.FromMinutes(5)));
    }

    private static OrderWatchOptions Bind(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var provider = new ServiceCollection().AddOrderWatch(configuration).BuildServiceProvider();
        return provider.GetRequiredService<IOptions<OrderWatchOptions>>().Value;
    }
}
