using System.Text.Json.Nodes;
using Refunds.Preflight;

namespace Refunds.Infra.Tests;

/// <summary>What Flex Consumption refuses on a first deployment, checked on the compiled template (infra/README.md).</summary>
public sealed class FlexConsumptionTemplateTests
{
    private static readonly CompiledTemplate Template = CompiledTemplate.ForMain;

    [Fact]
    public void Compiled_site_carries_no_property_or_app_setting_flex_consumption_rejects()
    {
        var site = Template.Single("Microsoft.Web/sites").Json;

        Assert.Empty(Rejected(site));
    }

    [Fact]
    public void The_check_finds_rejected_properties_at_both_levels_and_rejected_settings()
    {
        var site = Template.Single("Microsoft.Web/sites").Json.DeepClone().AsObject();
        site["properties"]!["siteConfig"]!["FtpsState"] = "Disabled";
        site["properties"]!["use32BitWorkerProcess"] = false;
        site["properties"]!["siteConfig"]!["appSettings"]!.AsArray().Add(new JsonObject { ["name"] = "FUNCTIONS_WORKER_RUNTIME", ["value"] = "dotnet-isolated" });

        Assert.Equal(["FUNCTIONS_WORKER_RUNTIME", "FtpsState", "use32BitWorkerProcess"], Rejected(site).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Rejected_list_holds_the_four_properties_of_the_reported_arm_error_and_infra_readme_cites_every_entry()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Infra, "README.md"));

        foreach (var property in new[] { "ftpsState", "use32BitWorkerProcess", "netFrameworkVersion", "functionsRuntimeScaleMonitoringEnabled" })
        {
            Assert.Contains(property, FlexConsumptionRules.RejectedSiteProperties.Keys);
        }

        foreach (var name in FlexConsumptionRules.RejectedSiteProperties.Keys.Concat(FlexConsumptionRules.RejectedAppSettings.Keys))
        {
            Assert.Contains($"`{name}`", readme, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Maximum_instance_count_defaults_to_forty_and_refuses_less_in_every_layer()
    {
        var main = Template.Root["parameters"]!["maximumInstanceCount"]!;
        var api = Template.Module("api").Template["parameters"]!["maximumInstanceCount"]!;
        var azd = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Infra, "main.parameters.json")))!;

        Assert.Equal(FlexConsumptionRules.MinimumMaximumInstanceCount, main["defaultValue"]!.GetValue<int>());
        Assert.Equal(FlexConsumptionRules.MinimumMaximumInstanceCount, main["minValue"]!.GetValue<int>());
        Assert.Equal(FlexConsumptionRules.MinimumMaximumInstanceCount, api["minValue"]!.GetValue<int>());
        Assert.Equal("${MAXIMUM_INSTANCE_COUNT=40}", azd["parameters"]!["maximumInstanceCount"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public void Deploy_guide_bounds_ping_concurrency_by_host_json_and_says_the_cap_is_per_function_group()
    {
        var queues = JsonNode.Parse(File.ReadAllText(RepositoryPaths.InPlace("host.json")))!["extensions"]!["queues"]!;
        var perInstance = queues["batchSize"]!.GetValue<int>() + queues["newBatchThreshold"]!.GetValue<int>();
        var cap = Template.RootScope.Parameter("maximumInstanceCount")!.GetValue<int>();
        var guide = File.ReadAllText(RepositoryPaths.InPlace("docs", "deploy.md"));

        Assert.Contains($"{perInstance} refund requests at a time per instance", guide, StringComparison.Ordinal);
        Assert.Contains($"{perInstance} × {cap} = {perInstance * cap}", guide, StringComparison.Ordinal);
        Assert.Contains("per function scale group", guide, StringComparison.Ordinal);
    }

    private static List<string> Rejected(JsonObject site)
    {
        var properties = site["properties"]!.AsObject();
        var siteConfig = properties["siteConfig"]!.AsObject();
        var settings = siteConfig["appSettings"]!.AsArray().Select(s => s!["name"]!.GetValue<string>());
        return
        [
            .. properties.Select(p => p.Key).Concat(siteConfig.Select(p => p.Key)).Where(FlexConsumptionRules.RejectedSiteProperties.ContainsKey),
            .. settings.Where(FlexConsumptionRules.RejectedAppSettings.ContainsKey),
        ];
    }
}
