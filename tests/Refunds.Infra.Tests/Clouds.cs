using System.Text.Json.Nodes;

namespace Refunds.Infra.Tests;

/// <summary>
/// The parts of ARM's <c>environment()</c> the templates read, per cloud (Bicep's environment() reference shows the
/// public cloud's values; the China values are the Key Vault and storage suffixes of Azure China).
/// </summary>
internal static class Clouds
{
    public static JsonObject AzureCloud => Cloud("AzureCloud", ".vault.azure.net", "core.windows.net");

    public static JsonObject AzureChinaCloud => Cloud("AzureChinaCloud", ".vault.azure.cn", "core.chinacloudapi.cn");

    private static JsonObject Cloud(string name, string keyvaultDns, string storage) => new()
    {
        ["name"] = name,
        ["suffixes"] = new JsonObject { ["keyvaultDns"] = keyvaultDns, ["storage"] = storage },
    };
}
