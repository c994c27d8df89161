using Refunds.Core.Configuration;

namespace Refunds.Infra.Tests;

/// <summary>Entra ID for machine callers in the template: parameters that default to off and reach the app's settings.</summary>
public sealed class EntraTemplateTests
{
    private static readonly CompiledTemplate Template = CompiledTemplate.ForMain;

    private static TemplateResource Site => Template.Single("Microsoft.Web/sites");

    [Fact]
    public void Entra_id_is_off_by_default_with_the_documented_role_names()
    {
        var settings = FunctionAppTemplateTests.AppSettings();

        Assert.Equal("", FunctionAppTemplateTests.Evaluate(settings[SettingNames.EntraTenantId]));
        Assert.Equal("", FunctionAppTemplateTests.Evaluate(settings[SettingNames.EntraAudience]));
        Assert.Equal("Refunds.Submit", FunctionAppTemplateTests.Evaluate(settings[SettingNames.EntraSubmitRole]));
        Assert.Equal("Refunds.Operate", FunctionAppTemplateTests.Evaluate(settings[SettingNames.EntraOperateRole]));
    }

    [Theory]
    [InlineData("entraTenantId", "3f1c2a9e-7d4b-4c1e-9a8f-2b6d5e4c3a21", "entraTenantId")]
    [InlineData("entraAudience", "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "entraAudience")]
    [InlineData("entraSubmitRole", "Payments.Refund", "entraSubmitRole")]
    [InlineData("entraOperateRole", "Payments.Operator", "entraOperateRole")]
    public void Each_entra_parameter_reaches_its_app_setting(string mainParameter, string value, string apiParameter)
    {
        var root = Template.RootWith((mainParameter, value));

        Assert.Equal(value, Template.ModuleParameter(root, "api", apiParameter)!.ToString());
        var setting = FunctionAppTemplateTests.AppSettings()[SettingNameOf(apiParameter)]!.GetValue<string>();
        Assert.Equal($"[parameters('{apiParameter}')]", setting);
    }

    [Theory]
    [InlineData("AzureCloud", "https://login.microsoftonline.com/")]
    [InlineData("AzureChinaCloud", "https://login.chinacloudapi.cn/")]
    public void Tokens_are_checked_against_the_clouds_own_login_endpoint(string cloud, string expected)
    {
        var scope = Site.Scope.InCloud(cloud == "AzureChinaCloud" ? Clouds.AzureChinaCloud : Clouds.AzureCloud);

        Assert.Equal(expected, scope.Evaluate(FunctionAppTemplateTests.AppSettings()[SettingNames.EntraInstance])!.ToString());
    }

    [Fact]
    public void Infra_readme_documents_every_entra_parameter()
    {
        var readme = File.ReadAllText(RepositoryPaths.InPlace("infra", "README.md"));

        foreach (var parameter in new[] { "entraTenantId", "entraAudience", "entraSubmitRole", "entraOperateRole" })
        {
            Assert.Contains($"`{parameter}`", readme, StringComparison.Ordinal);
        }
    }

    private static string SettingNameOf(string apiParameter) => apiParameter switch
    {
        "entraTenantId" => SettingNames.EntraTenantId,
        "entraAudience" => SettingNames.EntraAudience,
        "entraSubmitRole" => SettingNames.EntraSubmitRole,
        _ => SettingNames.EntraOperateRole,
    };
}
