using System.Security.Claims;
using Refunds.Core.Callers;

namespace Refunds.Core.UnitTests.Callers;

public sealed class CallerTests
{
    private static ClaimsIdentity KeyIdentity(string name) => new(
        [new Claim(Caller.AuthLevelClaim, "Function"), new Claim(Caller.KeyNameClaim, name)], Caller.KeyAuthenticationType);

    [Fact]
    public void A_key_caller_is_named_by_the_hosts_key_identity()
    {
        Assert.Equal("key:billing-service", Caller.From(new ClaimsPrincipal(KeyIdentity("billing-service")), "the-key-itself")!.Id);
    }

    [Fact]
    public void An_entra_identity_set_by_the_app_wins_over_a_key_identity()
    {
        var oid = Guid.NewGuid();
        var entra = Core.Callers.EntraCheck.Allow(oid, ["Refunds.Submit"]).Identity!;

        Assert.Equal($"entra:{oid:D}", Caller.From(new ClaimsPrincipal([KeyIdentity("default"), entra]), null)!.Id);
    }

    [Fact]
    public void Without_an_identity_the_presented_key_is_recorded_by_a_fingerprint_that_does_not_reveal_it()
    {
        const string key = "Y2hhbmdlbWUtdGhpcy1pcy1hLWZ1bmN0aW9uLWtleQ==";

        var caller = Caller.From(new ClaimsPrincipal(new ClaimsIdentity()), key)!;

        // printf %s "$KEY" | sha256sum | cut -c1-12
        Assert.Equal("key:sha256-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..12], caller.Id);
        Assert.DoesNotContain(key, caller.Id, StringComparison.Ordinal);
        Assert.NotEqual(caller, Caller.From(null, key + "x"));
    }

    [Fact]
    public void No_identity_and_no_key_is_no_caller()
    {
        Assert.Null(Caller.From(new ClaimsPrincipal(new ClaimsIdentity()), null));
        Assert.Null(Caller.From(null, ""));
    }

    [Fact]
    public void An_identity_of_another_authentication_type_is_not_trusted()
    {
        var forged = new ClaimsIdentity([new Claim(Caller.ObjectIdClaim, Guid.NewGuid().ToString()), new Claim(Caller.KeyNameClaim, "master")], "Bearer");

        Assert.Null(Caller.From(new ClaimsPrincipal(forged), null));
    }

    [Fact]
    public void Key_names_keep_only_safe_characters()
    {
        Assert.Equal("key:ops_team_x", Caller.Key("ops team\u202Ex").Id);
    }
}
