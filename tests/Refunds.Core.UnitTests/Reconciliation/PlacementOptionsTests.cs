using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Refunds.Core.Reconciliation;

namespace Refunds.Core.UnitTests.Reconciliation;

/// <summary><c>Reconciliation__MaxPlacementsPerRun</c>: charge lookups of refunds whose order is unknown per run.</summary>
public class PlacementOptionsTests
{
    [Fact]
    public void Twenty_lookups_per_run_by_default_and_zero_turns_them_off()
    {
        Assert.Equal(20, Bind([]).MaxPlacementsPerRun);
        Assert.Equal(0, Bind(new() { ["Reconciliation:MaxPlacementsPerRun"] = "0" }).MaxPlacementsPerRun);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1001")]
    public void An_out_of_range_value_fails_at_startup_naming_the_setting(string value)
    {
        var e = Assert.Throws<OptionsValidationException>(() => Bind(new() { ["Reconciliation:MaxPlacementsPerRun"] = value }));

        Assert.Contains("Reconciliation__MaxPlacementsPerRun", e.Message, StringComparison.Ordinal);
    }

    private static ReconciliationOptions Bind(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var provider = new ServiceCollection().AddReconciliation(configuration).BuildServiceProvider();
        return provider.GetRequiredService<IOptions<ReconciliationOptions>>().Value;
    }
}
