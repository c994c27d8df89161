using System.Security.Claims;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Refunds.Core.Callers;

namespace Refunds.Core.UnitTests.Callers;

public sealed class AppServicePrincipalTests
{
    private static readonly Guid Operator = Guid.Parse("6a1f4e2b-3c5d-4e7f-8a9b-0c1d2e3f4a5b");

    /// <summary>A header as App Service writes it (claim types as the platform names them).</summary>
    private static string Header(params (string Type, string Value)[] claims) => Convert.ToBase64String(Encoding.UTF8.GetBytes(
        "{\"auth_typ\":\"aad\",\"name_typ\":\"name\",\"role_typ\":\"roles\",\"claims\":["
        + string.Join(",", claims.Select(c => $"{{\"typ\":\"{c.Type}\",\"val\":\"{c.Value}\"}}")) + "]}"));

    private static AppServicePrincipal Reader(bool ours, string? platform) => new(
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [AppServicePrincipal.PlatformSetting] = platform }).Build(),
        Options.Create(new EntraOptions { AppServiceAuthentication = ours, TenantId = Guid.NewGuid().ToString(), Audience = "api" }));

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, null)]
    [InlineData(false, "True")]
    [InlineData(true, "false")]
    public void A_header_is_refused_unread_unless_both_the_platform_and_our_setting_say_sign_in_is_on(bool ours, string? platform)
    {
        var check = Reader(ours, platform).Check(Header((AppServicePrincipal.ObjectIdClaimType, Operator.ToString()), ("roles", "Refunds.Operate")), true, EntraPermission.Operate);

        Assert.Equal((401, "untrusted_principal"), (check.Status, check.Error));
        Assert.Null(check.Caller);
    }

    [Fact]
    public void A_trusted_operator_is_recorded_as_easyauth_with_its_object_id_and_read_back_from_the_request_user()
    {
        var check = Reader(true, "True").Check(Header(("name", "王 Operator"), (AppServicePrincipal.ObjectIdClaimType, Operator.ToString()), ("roles", "Refunds.Operate")), true, EntraPermission.Operate);

        Assert.Equal($"easyauth:{Operator:D}", check.Caller!.Id);
        Assert.Equal($"easyauth:{Operator:D}", Caller.From(new ClaimsPrincipal(check.Identity!), presentedKey: "a-key-too")!.Id);
    }

    [Fact]
    public void The_short_oid_claim_and_roles_for_reading_are_taken_too()
    {
        var check = Reader(true, "TRUE").Check(Header(("oid", Operator.ToString()), ("roles", "Refunds.Submit")), true, EntraPermission.Read);

        Assert.True(check.Allowed);
        Assert.Equal((403, "missing_role"), (Reader(true, "True").Check(Header(("oid", Operator.ToString()), ("roles", "Refunds.Submit")), true, EntraPermission.Operate) is var c ? (c.Status, c.Error) : default));
    }

    [Fact]
    public void A_validator_refuses_sign_in_without_the_tenant_and_app_registration_it_needs()
    {
        var failures = new EntraOptionsValidator().Validate(null, new EntraOptions { AppServiceAuthentication = true }).Failures;

        Assert.Contains(failures!, f => f.Contains("Entra__AppServiceAuthentication needs Entra__TenantId and Entra__Audience", StringComparison.Ordinal));
    }
}
