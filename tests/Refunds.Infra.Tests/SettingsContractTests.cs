using System.Reflection;
using System.Text.Json.Nodes;
using Refunds.Core.Configuration;

namespace Refunds.Infra.Tests;

/// <summary>Holds SettingNames, the Bicep app settings, local.settings.sample.json and docs/deploy.md together.</summary>
public sealed class SettingsContractTests
{
    /// <summary>Settings of the Functions host and the Azure SDK that the app does not read through SettingNames.</summary>
    private static readonly string[] AzureHostSettings =
    [
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "AzureWebJobsStorage__blobServiceUri",
        "AzureWebJobsStorage__queueServiceUri",
        "AzureWebJobsStorage__tableServiceUri",
        "AZURE_CLIENT_ID",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        "OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID",
    ];

    private static readonly string[] LocalHostSettings = ["AzureWebJobsStorage", "FUNCTIONS_WORKER_RUNTIME"];

    /// <summary>Settings whose value differs by design between Azure and a local run.</summary>
    private static readonly string[] EnvironmentSpecific =
    [
        SettingNames.PingppApiBase,
        SettingNames.PingppApiKey,
        SettingNames.PingppSigningKeyId,
        SettingNames.PingppSigningPrivateKey,
        SettingNames.PingppWebhookPublicKeys0,
        SettingNames.EntraInstance,
    ];

    [Fact]
    public void Setting_names_are_read_from_the_contract_class()
    {
        Assert.Contains(SettingNames.PingppApiKey, AllSettingNames());
        Assert.Contains(SettingNames.AnomaliesMode, AllSettingNames());
        Assert.Equal(AllSettingNames().Count, AllSettingNames().Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Bicep_app_settings_are_exactly_the_app_settings_plus_the_azure_host_settings()
    {
        var expected = AllSettingNames()
            .Where(n => n != SettingNames.PingppSigningPrivateKey)
            .Concat(AzureHostSettings)
            .Order(StringComparer.Ordinal);

        Assert.Equal(expected, FunctionAppTemplateTests.AppSettings().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Local_sample_is_exactly_the_app_settings_plus_the_local_host_settings()
    {
        var expected = AllSettingNames()
            .Where(n => n != SettingNames.PingppSigningKeyId)
            .Concat(LocalHostSettings)
            .Order(StringComparer.Ordinal);

        Assert.Equal(expected, LocalValues().Select(v => v.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Local_sample_runs_against_azurite_and_the_simulator()
    {
        var values = LocalValues();
        var root = JsonNode.Parse(File.ReadAllText(RepositoryPaths.InPlace("local.settings.sample.json")))!;

        Assert.False(root["IsEncrypted"]!.GetValue<bool>());
        Assert.Equal("UseDevelopmentStorage=true", values["AzureWebJobsStorage"]);
        Assert.Equal("dotnet-isolated", values["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal("http://127.0.0.1:7080", values[SettingNames.PingppApiBase]);
        Assert.StartsWith("sk_test_", values[SettingNames.PingppApiKey], StringComparison.Ordinal);
        Assert.Equal(".local/keys/merchant_private.pem", values[SettingNames.PingppSigningPrivateKey]);
        Assert.Equal(".local/keys/pingpp_public.pem", values[SettingNames.PingppWebhookPublicKeys0]);
    }

    [Fact]
    public void Tuning_settings_have_the_same_defaults_in_azure_and_locally()
    {
        var azure = FunctionAppTemplateTests.AppSettings();
        var local = LocalValues();

        foreach (var name in AllSettingNames().Except(EnvironmentSpecific))
        {
            Assert.True(
                FunctionAppTemplateTests.Evaluate(azure[name]) == local[name],
                $"{name}: Bicep default {FunctionAppTemplateTests.Evaluate(azure[name])} but local sample {local[name]}");
        }
    }

    [Fact]
    public void Refund_queue_setting_names_the_queue_the_template_creates()
    {
        var setting = FunctionAppTemplateTests.Evaluate(FunctionAppTemplateTests.AppSettings()[SettingNames.RefundRequestsQueue]);
        var created = CompiledTemplate.ForMain.Module("storage").Parameter("queueNames")!.AsArray().Select(q => q!.GetValue<string>());

        Assert.Equal(StorageNames.DefaultRefundRequestsQueue, setting);
        Assert.Contains(setting, created);
        Assert.Contains(setting + StorageNames.PoisonSuffix, created);
    }

    [Fact]
    public void Deploy_guide_explains_every_setting_in_its_settings_table()
    {
        var guide = File.ReadAllText(RepositoryPaths.InPlace("docs", "deploy.md"));
        var settingsSection = guide[guide.IndexOf("## Settings", StringComparison.Ordinal)..];
        var rows = settingsSection.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).ToList();

        foreach (var name in AllSettingNames().Concat(AzureHostSettings).Concat(LocalHostSettings))
        {
            Assert.Contains(rows, row => row.StartsWith($"| `{name}`", StringComparison.Ordinal));
        }
    }

    private static IReadOnlyList<string> AllSettingNames() =>
        [.. typeof(SettingNames)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)];

    private static Dictionary<string, string> LocalValues()
    {
        var root = JsonNode.Parse(File.ReadAllText(RepositoryPaths.InPlace("local.settings.sample.json")))!;
        return root["Values"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal);
    }
}
