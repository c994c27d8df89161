using System.Text.Json.Nodes;

namespace Refunds.Infra.Tests;

/// <summary>Names that differ per cloud come from environment(), so the same template works in Azure China.</summary>
public sealed class CloudTemplateTests
{
    private static readonly CompiledTemplate Template = CompiledTemplate.ForMain;

    public static TheoryData<string, string[]> ZonesPerCloud() => new()
    {
        {
            "AzureCloud",
            ["privatelink.blob.core.windows.net", "privatelink.queue.core.windows.net", "privatelink.table.core.windows.net", "privatelink.vaultcore.azure.net"]
        },
        {
            "AzureChinaCloud",
            ["privatelink.blob.core.chinacloudapi.cn", "privatelink.queue.core.chinacloudapi.cn", "privatelink.table.core.chinacloudapi.cn", "privatelink.vaultcore.azure.cn"]
        },
    };

    [Theory]
    [MemberData(nameof(ZonesPerCloud))]
    public void Private_dns_zones_are_the_clouds_own_names(string cloud, string[] expected)
    {
        var environment = cloud == "AzureChinaCloud" ? Clouds.AzureChinaCloud : Clouds.AzureCloud;
        var network = Template.Module("network").InCloud(environment);

        var zones = network.Variable("privateEndpointTargets")!.AsArray().Select(t => t!["zone"]!.GetValue<string>());

        Assert.Equal(expected, zones.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void No_string_in_the_template_names_a_private_link_zone_of_one_cloud()
    {
        var literal = Strings(Template.Root).Where(s => s.Contains("privatelink.", StringComparison.Ordinal) && !s.Contains("environment()", StringComparison.Ordinal));

        Assert.Empty(literal);
    }

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };
}
