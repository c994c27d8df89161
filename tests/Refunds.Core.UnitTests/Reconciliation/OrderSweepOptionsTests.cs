using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Refunds.Core.Reconciliation;

namespace Refunds.Core.UnitTests.Reconciliation;

public class OrderSweepOptionsTests
{
    [Fact]
    public void The_sweep_is_off_by_default_with_the_documented_defaults()
    {
        var options = Bind([]);

        Assert.False(options.SweepEnabled);
        Assert.Equal((TimeSpan.FromDays(7), 5, TimeSpan.FromHours(1)), (options.SweepWindow, options.SweepPagesPerRun, options.SweepInterval));
    }

    [Fact]
    public void Enabling_the_sweep_without_an_app_id_fails_naming_both_settings()
    {
        var e = Assert.Throws<OptionsValidationException>(() => Bind(new() { ["Reconciliation:SweepEnabled"] = "true" }));

        Assert.Contains("Reconciliation__SweepEnabled", e.Message, StringComparison.Ordinal);
        Assert.Contains("Pingpp__AppId", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Reconciliation:SweepWindow", "00:00:00", "Reconciliation__SweepWindow")]
    [InlineData("Reconciliation:SweepPagesPerRun", "0", "Reconciliation__SweepPagesPerRun")]
    [InlineData("Reconciliation:SweepInterval", "-00:01:00", "Reconciliation__SweepInterval")]
    [InlineData("Pingpp:AppId", "not an app", "Pingpp__AppId")]
    public void A_bad_sweep_setting_fails_naming_it(string key, string value, string setting)
    {
        var e = Assert.Throws<OptionsValidationException>(() => Bind(new()
        {
            ["Reconciliation:SweepEnabled"] = "true",
            ["Pingpp:AppId"] = "app_1Gqj58ynP0mHeX1q",
            [key] = value,
        }));

        Assert.Contains(setting, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_enabled_sweep_reads_the_app_id_from_the_pingpp_setting()
    {
        var options = Bind(new() { ["Reconciliation:SweepEnabled"] = "true", ["Pingpp:AppId"] = "app_1Gqj58ynP0mHeX1q", ["Reconciliation:SweepPagesPerRun"] = "3" });

        Assert.Equal(("app_1Gqj58ynP0mHeX1q", 3), (options.AppId, options.SweepPagesPerRun));
    }

    private static OrderSweepOptions Bind(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var provider = new ServiceCollection().AddOrderSweep(configuration).BuildServiceProvider();
        return provider.GetRequiredService<IOptions<OrderSweepOptions>>().Value;
    }
}
