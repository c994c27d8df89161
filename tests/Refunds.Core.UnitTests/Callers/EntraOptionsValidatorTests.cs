using Refunds.Core.Callers;

namespace Refunds.Core.UnitTests.Callers;

public sealed class EntraOptionsValidatorTests
{
    private const string Tenant = "3f1c2a9e-7d4b-4c1e-9a8f-2b6d5e4c3a21";
    private const string Audience = "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

    private static IReadOnlyList<string> Failures(EntraOptions options)
        => new EntraOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];

    [Fact]
    public void Off_by_default_and_valid_so_local_runs_use_keys()
    {
        var options = new EntraOptions();

        Assert.False(options.Enabled);
        Assert.Empty(Failures(options));
    }

    [Fact]
    public void Tenant_and_audience_together_turn_it_on()
    {
        var options = new EntraOptions { TenantId = Tenant, Audience = Audience };

        Assert.True(options.Enabled);
        Assert.Empty(Failures(options));
        Assert.Equal($"https://login.microsoftonline.com/{Tenant}/v2.0/.well-known/openid-configuration", options.MetadataAddress.AbsoluteUri);
    }

    [Theory]
    [InlineData(Tenant, null, "Entra__Audience is required when Entra__TenantId is set")]
    [InlineData(null, Audience, "Entra__TenantId is required when Entra__Audience is set")]
    [InlineData("contoso.onmicrosoft.com", Audience, "Entra__TenantId must be the directory (tenant) id, a GUID")]
    public void Half_configured_or_unusable_tenant_and_audience_stop_the_start_naming_the_setting(string? tenant, string? audience, string expected)
    {
        var failure = Assert.Single(Failures(new EntraOptions { TenantId = tenant, Audience = audience }));

        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://login.microsoftonline.com/", "Entra__Instance")]
    [InlineData("login.microsoftonline.com", "Entra__Instance")]
    public void The_authority_must_be_https_unless_it_is_a_loopback_test_authority(string instance, string setting)
    {
        Assert.StartsWith(setting, Assert.Single(Failures(new EntraOptions { Instance = instance, TenantId = Tenant, Audience = Audience })), StringComparison.Ordinal);
        Assert.Empty(Failures(new EntraOptions { Instance = "http://127.0.0.1:5123/", TenantId = Tenant, Audience = Audience }));
    }

    [Fact]
    public void Role_names_must_be_set_and_differ()
    {
        Assert.StartsWith("Entra__SubmitRole and Entra__OperateRole must differ",
            Assert.Single(Failures(new EntraOptions { SubmitRole = "Refunds.All", OperateRole = "Refunds.All" })), StringComparison.Ordinal);
        Assert.StartsWith("Entra__OperateRole must be an app role value",
            Assert.Single(Failures(new EntraOptions { OperateRole = " " })), StringComparison.Ordinal);
    }
}
