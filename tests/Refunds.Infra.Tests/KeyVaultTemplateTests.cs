using System.Text.Json.Nodes;

namespace Refunds.Infra.Tests;

public sealed class KeyVaultTemplateTests
{
    private static readonly CompiledTemplate Template = CompiledTemplate.ForMain;

    [Fact]
    public void Vault_uses_rbac_soft_delete_and_purge_protection()
    {
        var vault = Template.Single("Microsoft.KeyVault/vaults").Properties!;

        Assert.True(vault["enableRbacAuthorization"]!.GetValue<bool>());
        Assert.True(vault["enableSoftDelete"]!.GetValue<bool>());
        Assert.True(vault["enablePurgeProtection"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData(null, "default")]
    [InlineData("recover", "recover")]
    public void Vault_is_created_by_default_and_a_redeploy_after_azd_down_can_recover_it(string? given, string expected)
    {
        var vault = Template.Single("Microsoft.KeyVault/vaults");
        var root = given is null ? Template.RootScope : Template.RootWith(("keyVaultCreateMode", given));
        var declaration = Template.Root["parameters"]!["keyVaultCreateMode"]!;
        var azd = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Infra, "main.parameters.json")))!;

        Assert.Equal("[parameters('createMode')]", vault.Raw("properties", "createMode"));
        Assert.Equal(expected, Template.ModuleParameter(root, "keyvault", "createMode")!.GetValue<string>());
        Assert.Equal(["default", "recover"], declaration["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal("${KEY_VAULT_CREATE_MODE=default}", azd["parameters"]!["keyVaultCreateMode"]!["value"]!.GetValue<string>());
        // The vault name is fixed per environment on purpose: recovering it brings back the signing key Ping++ knows.
        Assert.Equal("[format('kv-{0}', variables('resourceToken'))]", Template.Root["variables"]!["keyVaultName"]!.GetValue<string>());
    }

    [Fact]
    public void Signing_key_is_rsa_2048_for_sign_and_verify_only()
    {
        var key = Template.Single("Microsoft.KeyVault/vaults/keys");
        var properties = key.Properties!;
        var allowedKty = key.Scope.Template["parameters"]![Parameter(properties["kty"])]!["allowedValues"]!.AsArray()
            .Select(v => v!.GetValue<string>());

        Assert.Equal(["sign", "verify"], properties["keyOps"]!.AsArray().Select(op => op!.GetValue<string>()));
        Assert.Equal(2048, properties["keySize"]!.GetValue<int>());
        Assert.Equal(["RSA", "RSA-HSM"], allowedKty.Order(StringComparer.Ordinal));
        Assert.Equal("RSA", Template.RootScope.Parameter("signingKeyType")!.GetValue<string>());
    }

    [Fact]
    public void No_key_has_a_rotation_policy_that_rotates()
    {
        foreach (var key in Template.OfType("Microsoft.KeyVault/vaults/keys"))
        {
            var actions = key.Properties?["rotationPolicy"]?["lifetimeActions"]?.AsArray() ?? [];
            Assert.DoesNotContain(
                actions,
                a => string.Equals(a?["action"]?["type"]?.GetValue<string>(), "rotate", StringComparison.OrdinalIgnoreCase));
        }

        Assert.DoesNotContain("\"rotate\"", Template.Json, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("RSA", "standard", "standard")]
    [InlineData("RSA", "premium", "premium")]
    [InlineData("RSA-HSM", "standard", "premium")]
    public void Hsm_keys_get_a_premium_vault(string keyType, string requestedSku, string expectedSku)
    {
        var root = Template.RootWith(("signingKeyType", keyType), ("keyVaultSku", requestedSku));

        Assert.Equal(expectedSku, Template.ModuleParameter(root, "keyvault", "skuName")!.GetValue<string>());
        Assert.Equal(keyType, Template.ModuleParameter(root, "keyvault", "signingKeyType")!.GetValue<string>());
        Assert.Equal("[parameters('skuName')]", Template.Single("Microsoft.KeyVault/vaults").Raw("properties", "sku", "name"));
    }

    [Fact]
    public void Api_key_secret_is_written_only_from_a_non_empty_secure_parameter()
    {
        var secret = Template.Single("Microsoft.KeyVault/vaults/secrets");
        var valueParameter = Parameter(secret.Properties!["value"]);

        Assert.Equal("securestring", secret.Scope.Template["parameters"]![valueParameter]!["type"]!.GetValue<string>());
        Assert.Equal($"[not(empty(parameters('{valueParameter}')))]", secret.Json["condition"]!.GetValue<string>());
        Assert.Equal("securestring", Template.Root["parameters"]!["pingppApiKey"]!["type"]!.GetValue<string>());
        Assert.Equal(string.Empty, Template.RootScope.Parameter("pingppApiKey")!.GetValue<string>());
    }

    [Fact]
    public void Secret_written_by_the_vault_module_is_the_one_the_role_is_scoped_to()
    {
        var written = Template.Module("keyvault").Parameter("apiKeySecretName")!.GetValue<string>();
        var granted = Template.Module("rbac").Parameter("apiKeySecretName")!.GetValue<string>();

        Assert.Equal(written, granted);
    }

    [Fact]
    public void Application_insights_refuses_instrumentation_key_auth()
    {
        var insights = Template.Single("Microsoft.Insights/components").Properties!;

        Assert.True(insights["DisableLocalAuth"]!.GetValue<bool>());
        Assert.NotNull(insights["WorkspaceResourceId"]);
    }

    private static string Parameter(JsonNode? expression)
    {
        var text = expression!.GetValue<string>();
        const string prefix = "[parameters('";
        Assert.StartsWith(prefix, text, StringComparison.Ordinal);
        return text[prefix.Length..text.IndexOf('\'', prefix.Length)];
    }
}
