using System.Text.Json.Nodes;

namespace Refunds.Infra.Tests;

public sealed class FunctionAppTemplateTests
{
    private static readonly CompiledTemplate Template = CompiledTemplate.ForMain;

    private static TemplateResource Site => Template.Single("Microsoft.Web/sites");

    [Fact]
    public void Plan_is_flex_consumption_on_linux()
    {
        var plan = Template.Single("Microsoft.Web/serverfarms");

        Assert.Equal("FC1", plan.Json["sku"]!["name"]!.GetValue<string>());
        Assert.Equal("FlexConsumption", plan.Json["sku"]!["tier"]!.GetValue<string>());
        Assert.True(plan.Properties!["reserved"]!.GetValue<bool>());
    }

    [Fact]
    public void Site_is_https_only_with_basic_publishing_off_and_no_ftps_state()
    {
        var site = Site;
        var config = site.Properties!["siteConfig"]!;
        var policies = Template.OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies");

        Assert.Equal("functionapp,linux", site.Json["kind"]!.GetValue<string>());
        Assert.True(site.Properties!["httpsOnly"]!.GetValue<bool>());
        // Flex Consumption rejects siteConfig.ftpsState (FlexConsumptionTemplateTests); FTP is off through the policy.
        Assert.Null(config["ftpsState"]);
        Assert.Equal("1.2", config["minTlsVersion"]!.GetValue<string>());
        Assert.Equal(2, policies.Count);
        Assert.All(policies, p => Assert.False(p.Properties!["allow"]!.GetValue<bool>()));
        Assert.Equal(["'ftp'", "'scm'"], policies.Select(p => p.Name[(p.Name.LastIndexOf(',') + 2)..^2]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Site_runs_as_the_user_assigned_identity_also_for_key_vault_references()
    {
        var site = Site;

        Assert.Equal("UserAssigned", site.Json["identity"]!["type"]!.GetValue<string>());
        Assert.Equal("[parameters('identityId')]", site.Properties!["keyVaultReferenceIdentity"]!.GetValue<string>());
        Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", ApiParameterRaw("identityId"), StringComparison.Ordinal);
    }

    [Fact]
    public void Function_app_config_is_dotnet_isolated_10_with_identity_deployment_storage_and_the_lowest_instance_cap()
    {
        var config = Site.Properties!["functionAppConfig"]!;
        var api = Template.Module("api");

        Assert.Equal("dotnet-isolated", config["runtime"]!["name"]!.GetValue<string>());
        Assert.Equal("10.0", config["runtime"]!["version"]!.GetValue<string>());
        Assert.Equal("blobContainer", config["deployment"]!["storage"]!["type"]!.GetValue<string>());
        Assert.Equal("UserAssignedIdentity", config["deployment"]!["storage"]!["authentication"]!["type"]!.GetValue<string>());
        Assert.Equal(40, Site.Scope.Evaluate(config["scaleAndConcurrency"]!["maximumInstanceCount"])!.GetValue<int>());
        Assert.Equal(2048, Site.Scope.Evaluate(config["scaleAndConcurrency"]!["instanceMemoryMB"])!.GetValue<int>());
        Assert.Equal(40, api.Parameter("maximumInstanceCount")!.GetValue<int>());
    }

    [Fact]
    public void Host_storage_is_reached_with_the_managed_identity()
    {
        var settings = AppSettings();

        Assert.Equal("managedidentity", Evaluate(settings["AzureWebJobsStorage__credential"]));
        Assert.Equal("[parameters('identityClientId')]", Raw(settings["AzureWebJobsStorage__clientId"]));
        Assert.Equal("[parameters('identityClientId')]", Raw(settings["AZURE_CLIENT_ID"]));
        Assert.Equal("[parameters('blobEndpoint')]", Raw(settings["AzureWebJobsStorage__blobServiceUri"]));
        Assert.Equal("[parameters('queueEndpoint')]", Raw(settings["AzureWebJobsStorage__queueServiceUri"]));
        Assert.Equal("[parameters('tableEndpoint')]", Raw(settings["AzureWebJobsStorage__tableServiceUri"]));
        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys);
        Assert.Contains("clientId", ApiParameterRaw("identityClientId"), StringComparison.Ordinal);
    }

    [Fact]
    public void Telemetry_authenticates_with_entra_id()
    {
        var settings = AppSettings();

        Assert.Equal(
            "[format('ClientId={0};Authorization=AAD', parameters('identityClientId'))]",
            Raw(settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]));
        Assert.Contains("connectionString", ApiParameterRaw("applicationInsightsConnectionString"), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("FUNCTIONS_WORKER_RUNTIME")]
    [InlineData("FUNCTIONS_EXTENSION_VERSION")]
    [InlineData("WEBSITE_RUN_FROM_PACKAGE")]
    [InlineData("WEBSITE_CONTENTSHARE")]
    [InlineData("WEBSITE_CONTENTAZUREFILECONNECTIONSTRING")]
    [InlineData("AzureWebJobsStorage")]
    public void Flex_deprecated_and_key_based_settings_are_not_emitted(string name)
    {
        Assert.DoesNotContain(name, AppSettings().Keys);
    }

    [Fact]
    public void Api_key_is_a_key_vault_reference_and_the_signing_key_is_the_versioned_key_id()
    {
        var settings = AppSettings();

        Assert.StartsWith("[format('@Microsoft.KeyVault(SecretUri={0})'", Raw(settings["Pingpp__ApiKey"]), StringComparison.Ordinal);
        Assert.Contains("apiKeySecretUri", ApiParameterRaw("pingppApiKeySecretUri"), StringComparison.Ordinal);
        Assert.Contains("signingKeyUriWithVersion", ApiParameterRaw("pingppSigningKeyId"), StringComparison.Ordinal);
        Assert.Contains("parameters('signingKeyVersion')", ApiParameterRaw("pingppSigningKeyId"), StringComparison.Ordinal);
        Assert.Contains(
            "keyUriWithVersion",
            Template.Single("Microsoft.KeyVault/vaults/keys").Scope.Template["outputs"]!["signingKeyUriWithVersion"]!.ToJsonString(),
            StringComparison.Ordinal);
        Assert.DoesNotContain("Pingpp__SigningPrivateKey", settings.Keys);
    }

    [Fact]
    public void Unsigned_test_events_are_never_accepted_in_azure()
    {
        Assert.Equal("false", Evaluate(AppSettings()["Pingpp__AllowUnsignedTestEvents"]));
    }

    [Fact]
    public void Anomalies_mode_is_limited_to_the_modes_the_app_knows_and_defaults_to_report()
    {
        var declaration = Template.Root["parameters"]!["anomaliesMode"]!;

        Assert.Equal(
            ["AutoRefund", "Off", "Report"],
            declaration["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal("Report", Evaluate(AppSettings()["Anomalies__Mode"]));
    }

    [Fact]
    public void Approval_limits_are_whole_fen_not_below_zero_and_default_to_1000_and_10000_yuan()
    {
        foreach (var (parameter, setting, fen) in new[]
                 {
                     ("approvalMaxAmountPerRequest", "Approval__MaxAmountPerRequest", "100000"),
                     ("approvalMaxAmountPerDay", "Approval__MaxAmountPerDay", "1000000"),
                 })
        {
            var declaration = Template.Root["parameters"]![parameter]!;
            Assert.Equal(("int", 0), (declaration["type"]!.GetValue<string>(), declaration["minValue"]!.GetValue<int>()));
            Assert.Equal(fen, Evaluate(AppSettings()[setting]));
        }
    }

    [Fact]
    public void Outputs_name_the_app_the_webhook_url_the_signing_key_and_the_public_key_export()
    {
        var outputs = Template.Root["outputs"]!.AsObject();

        Assert.Contains("AZURE_FUNCTION_APP_NAME", outputs.Select(o => o.Key));
        Assert.Contains("/api/pingpp/webhooks", outputs["PINGPP_WEBHOOK_URL"]!["value"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("signingKeyUriWithVersion", outputs["PINGPP_SIGNING_KEY_ID"]!["value"]!.GetValue<string>(), StringComparison.Ordinal);
        var export = outputs["EXPORT_SIGNING_PUBLIC_KEY_COMMAND"]!["value"]!.GetValue<string>();
        Assert.Contains("az keyvault key download --vault-name", export, StringComparison.Ordinal);
        Assert.Contains("--encoding PEM --file pingpp-merchant-public.pem", export, StringComparison.Ordinal);
    }

    /// <summary>Site app settings by name; names must be literals so the contract tests can read them.</summary>
    internal static Dictionary<string, JsonNode?> AppSettings()
    {
        var settings = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var setting in Site.Properties!["siteConfig"]!["appSettings"]!.AsArray())
        {
            var name = setting!["name"]!.GetValue<string>();
            Assert.False(ArmExpression.IsExpression(name), $"App setting name {name} is an expression");
            Assert.True(settings.TryAdd(name, setting["value"]), $"App setting {name} appears twice");
        }

        return settings;
    }

    internal static string Evaluate(JsonNode? value) => Site.Scope.Evaluate(value)!.ToString();

    private static string Raw(JsonNode? value) => value!.GetValue<string>();

    private static string ApiParameterRaw(string name) => Template.ModuleParameterRaw("api", name);
}
