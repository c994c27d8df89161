using System.Text.Json.Nodes;
using Refunds.Preflight;

namespace Refunds.Infra.Tests;

/// <summary>The audit trail: Key Vault, storage table/queue and function app logs into the one workspace (issue 24, point 4).</summary>
public sealed class DiagnosticsTemplateTests
{
    private const string DiagnosticSettings = "Microsoft.Insights/diagnosticSettings";

    private static readonly CompiledTemplate Template = CompiledTemplate.ForMain;

    public static TheoryData<string, string[]> AuditedResources => new()
    {
        { "resourceId('Microsoft.KeyVault/vaults', parameters('keyVaultName'))", ["AuditEvent"] },
        { "resourceId('Microsoft.Storage/storageAccounts/tableServices', parameters('storageAccountName'), 'default')", ["StorageDelete", "StorageRead", "StorageWrite"] },
        { "resourceId('Microsoft.Storage/storageAccounts/queueServices', parameters('storageAccountName'), 'default')", ["StorageDelete", "StorageRead", "StorageWrite"] },
        { "resourceId('Microsoft.Web/sites', parameters('functionAppName'))", ["FunctionAppLogs"] },
    };

    [Theory]
    [MemberData(nameof(AuditedResources))]
    public void Each_audited_resource_sends_its_log_categories_to_the_workspace(string scope, string[] categories)
    {
        var setting = Assert.Single(Template.OfType(DiagnosticSettings), s => s.Raw("scope") == $"[{scope}]");

        Assert.Equal(categories, EnabledCategories(setting).Order(StringComparer.Ordinal));
        Assert.Equal("[parameters('workspaceId')]", setting.Raw("properties", "workspaceId"));
        Assert.Null(setting.Json["condition"]);
    }

    [Fact]
    public void Diagnostic_settings_are_exactly_the_audited_resources_and_write_to_the_one_workspace_monitoring_creates()
    {
        var settings = Template.OfType(DiagnosticSettings);

        Assert.Equal(AuditedResources.Count, settings.Count);
        Assert.Single(Template.OfType("Microsoft.OperationalInsights/workspaces"));
        Assert.Equal(
            "[reference(resourceId('Microsoft.Resources/deployments', 'monitoring'), '2025-04-01').outputs.logAnalyticsId.value]",
            Template.ModuleParameterRaw("diagnostics", "workspaceId"));
        var workspaceOutput = Template.Module("monitoring").Template["outputs"]!["logAnalyticsId"]!["value"]!.GetValue<string>();
        Assert.Equal("[resourceId('Microsoft.OperationalInsights/workspaces', parameters('logAnalyticsName'))]", workspaceOutput);
    }

    [Fact]
    public void Key_vault_audit_lands_in_its_own_table()
    {
        var setting = Assert.Single(Template.OfType(DiagnosticSettings), s => s.Raw("scope").Contains("Microsoft.KeyVault/vaults", StringComparison.Ordinal));

        Assert.Equal("Dedicated", setting.Raw("properties", "logAnalyticsDestinationType"));
    }

    [Theory]
    [InlineData("keyVaultName", "keyvault", "name")]
    [InlineData("storageAccountName", "storage", "name")]
    [InlineData("functionAppName", "api", "name")]
    public void Diagnostics_watch_the_resources_this_deployment_creates(string diagnosticsParameter, string module, string moduleParameter)
    {
        Assert.Equal(
            Template.ModuleParameterRaw(module, moduleParameter),
            Template.ModuleParameterRaw("diagnostics", diagnosticsParameter));
    }

    [Fact]
    public void Retention_is_a_bounded_parameter_that_sets_the_workspace_retention()
    {
        var declared = Template.Root["parameters"]!["logRetentionInDays"]!;
        var workspace = Template.Single("Microsoft.OperationalInsights/workspaces");

        Assert.Equal(30, declared["minValue"]!.GetValue<int>());
        Assert.Equal(730, declared["maxValue"]!.GetValue<int>());
        Assert.Equal(90, declared["defaultValue"]!.GetValue<int>());
        Assert.Equal("[parameters('retentionInDays')]", workspace.Raw("properties", "retentionInDays"));
        Assert.Equal(90, workspace.Scope.Evaluate(workspace.Properties!["retentionInDays"])!.GetValue<int>());
        Assert.Equal(365, Template.ModuleParameter(Template.RootWith(("logRetentionInDays", 365)), "monitoring", "retentionInDays")!.GetValue<int>());
    }

    [Fact]
    public void Retention_comes_from_an_azd_variable_with_the_template_default_and_is_documented()
    {
        var parametersFile = File.ReadAllText(Path.Combine(RepositoryPaths.Infra, "main.parameters.json"));
        var deployGuide = File.ReadAllText(RepositoryPaths.InPlace("docs", "deploy.md"));

        Assert.Equal("LOG_RETENTION_DAYS", AzdParameters.VariablesByParameter(parametersFile)["logRetentionInDays"]);
        Assert.Contains("\"${LOG_RETENTION_DAYS=90}\"", parametersFile, StringComparison.Ordinal);
        Assert.Contains("| `logRetentionInDays` | `LOG_RETENTION_DAYS` | `90`", deployGuide, StringComparison.Ordinal);
    }

    private static IEnumerable<string> EnabledCategories(TemplateResource setting)
    {
        var properties = setting.Properties!.AsObject();
        if (properties["logs"] is JsonArray logs)
        {
            return logs.Where(l => l!["enabled"]!.GetValue<bool>()).Select(l => setting.Scope.Evaluate(l!["category"])!.GetValue<string>());
        }

        // A `for` in Bicep compiles to a property copy loop: evaluate its input once per index.
        var loop = Assert.Single(properties["copy"]!.AsArray(), c => c!["name"]!.GetValue<string>() == "logs")!;
        var count = setting.Scope.Evaluate(loop["count"])!.GetValue<int>();
        return Enumerable.Range(0, count)
            .Select(i => setting.Scope.Evaluate(loop["input"], i)!.AsObject())
            .Where(l => l["enabled"]!.GetValue<bool>())
            .Select(l => l["category"]!.GetValue<string>());
    }
}
