using Refunds.Core.Pingpp;

namespace Refunds.Core.UnitTests.Pingpp;

public class PingppKeyModeTests
{
    [Theory]
    [InlineData("sk_live_abcdef", true)]
    [InlineData("rk_live_abcdef", true)]
    [InlineData("sk_test_abcdef", false)]
    [InlineData("rk_test_abcdef", false)]
    [InlineData("sk_livexabcdef", null)]
    [InlineData("pk_live_abcdef", null)]
    [InlineData("SK_LIVE_abcdef", null)]
    [InlineData("sk_", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/pingpp-api-key)", null)]
    public void The_mode_is_read_from_the_key_prefix_and_unknown_otherwise(string? apiKey, bool? live)
    {
        Assert.Equal(live, PingppKeyMode.IsLive(apiKey));
        Assert.Equal(live != false, PingppKeyMode.MayBeLive(apiKey));
    }
}
