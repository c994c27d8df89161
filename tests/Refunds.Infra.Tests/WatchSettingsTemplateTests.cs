using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;
using Refunds.Core.Reconciliation;

namespace Refunds.Infra.Tests;

/// <summary>The re-checks of finished orders as the template configures them pass the app's startup validation.</summary>
public sealed class WatchSettingsTemplateTests
{
    [Fact]
    public void The_templates_watch_settings_pass_startup_validation_with_the_documented_schedule()
    {
        var azure = FunctionAppTemplateTests.AppSettings();
        var settings = new[] { SettingNames.ReconciliationWatchWindow, SettingNames.ReconciliationRecheckSchedule, SettingNames.ReconciliationRechecksPerRun }
            .ToDictionary(n => n.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal), n => (string?)FunctionAppTemplateTests.Evaluate(azure[n]));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var provider = new ServiceCollection().AddOrderWatch(configuration).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<OrderWatchOptions>>().Value;

        Assert.Equal((TimeSpan.FromDays(30), 200, 54), (options.WatchWindow, options.RechecksPerRun, options.Schedule().Count));
    }
}
