using Refunds.Core.Refunds;

namespace Refunds.Core.UnitTests.Refunds;

public class PingppLiveViewOptionsValidatorTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(101)]
    public void A_page_bound_out_of_range_fails_naming_the_setting(int maxPages)
    {
        var result = new PingppLiveViewOptionsValidator().Validate(null, new PingppLiveViewOptions { MaxPages = maxPages });

        Assert.True(result.Failed);
        Assert.Contains("PingppLiveView__MaxPages must be between 1 and 100", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public void A_page_bound_in_range_passes(int maxPages)
        => Assert.True(new PingppLiveViewOptionsValidator().Validate(null, new PingppLiveViewOptions { MaxPages = maxPages }).Succeeded);

    [Fact]
    public void The_default_bound_is_small() => Assert.Equal(3, new PingppLiveViewOptions().MaxPages);
}
