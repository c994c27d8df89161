using Refunds.Core.Configuration;

namespace Refunds.Infra.Tests;

/// <summary>
/// App Service Authentication for the console (infra/app/auth.bicep): off by default, never in the way of the
/// webhook, health, key and Entra-token routes (it lets every unauthenticated request through to the app, which
/// decides), and the app told it is on through its own setting.
/// </summary>
public sealed class ConsoleSignInTemplateTests
{
    private static readonly CompiledTemplate Template = CompiledTemplate.ForMain;

    private static TemplateResource AuthSettings => Template.Single("Microsoft.Web/sites/config");

    [Fact]
    public void Sign_in_lets_every_unauthenticated_request_through_so_webhooks_health_keys_and_tokens_keep_working()
    {
        Assert.Equal("[format('{0}/{1}', parameters('siteName'), 'authsettingsV2')]", AuthSettings.Name);
        var validation = AuthSettings.Properties!["globalValidation"]!;
        Assert.False(validation["requireAuthentication"]!.GetValue<bool>());
        Assert.Equal("AllowAnonymous", validation["unauthenticatedClientAction"]!.GetValue<string>());
        // Nothing to exclude when nothing is required: a list here would have to mirror the app's routes.
        Assert.Null(validation["excludedPaths"]);
        Assert.True(AuthSettings.Properties["httpSettings"]!["requireHttps"]!.GetValue<bool>());
    }

    [Fact]
    public void Sign_in_is_off_by_default_and_on_with_console_sign_in_for_the_platform_and_the_app_alike()
    {
        Assert.False(Template.ModuleParameter(Template.RootScope, "auth", "enabled")!.GetValue<bool>());
        Assert.Equal("false", FunctionAppTemplateTests.Evaluate(FunctionAppTemplateTests.AppSettings()[SettingNames.EntraAppServiceAuthentication]));

        var on = Template.RootWith(("consoleSignIn", "true"), ("entraTenantId", "3f1c2a9e-7d4b-4c1e-9a8f-2b6d5e4c3a21"), ("entraAudience", "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"));
        Assert.True(Template.ModuleParameter(on, "auth", "enabled")!.GetValue<bool>());
        Assert.Equal("true", Template.ModuleParameter(on, "api", "consoleSignIn")!.GetValue<string>());
        Assert.Equal("9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", Template.ModuleParameter(on, "auth", "clientId")!.GetValue<string>());
        Assert.Equal("[parameters('consoleSignIn')]", FunctionAppTemplateTests.AppSettings()[SettingNames.EntraAppServiceAuthentication]!.GetValue<string>());
        Assert.Equal("[parameters('enabled')]", AuthSettings.Raw("properties", "platform", "enabled"));
        Assert.Equal("[parameters('enabled')]", AuthSettings.Raw("properties", "identityProviders", "azureActiveDirectory", "enabled"));
    }

    [Fact]
    public void Operators_sign_in_to_the_apis_app_registration_of_the_tenant_without_a_client_secret()
    {
        var registration = AuthSettings.Properties!["identityProviders"]!["azureActiveDirectory"]!["registration"]!;
        Assert.Equal("[format('{0}{1}/v2.0', environment().authentication.loginEndpoint, parameters('tenantId'))]", registration["openIdIssuer"]!.GetValue<string>());
        Assert.Equal("OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID", registration["clientSecretSettingName"]!.GetValue<string>());
        Assert.Equal("[parameters('identityClientId')]", FunctionAppTemplateTests.AppSettings()["OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID"]!.GetValue<string>());
        Assert.Contains("entraAudience", Template.ModuleParameterRaw("auth", "clientId"), StringComparison.Ordinal);
        Assert.Contains("entraTenantId", Template.ModuleParameterRaw("auth", "tenantId"), StringComparison.Ordinal);
    }
}
