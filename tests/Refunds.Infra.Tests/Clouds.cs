using System.Text.Json.Nodes;

namespace Refunds.Infra.Tests;

/// <summary>
/// The parts of ARM's <c>environment()</c> the templates read, per cloud (Bicep's environment() reference shows the
/// public cloud's values; the China values are the Key Vault and storage suffixes and the login endpoint of Azure China).
/// </summary>
internal static class Clouds
{
    public static JsonObject AzureCloud => Cloud("AzureCloud", ".vault.azure.net", "core.windows.net", "https://login.microsoftonline.com/");

    public static JsonObject AzureChinaCloud => Cloud("AzureChinaCloud", ".vault.azure.cn", "core.chinacloudapi.cn", "https://login.chinacloudapi.cn/");

    private static JsonObject Cloud(string name, string keyvaultDns, string storage, string loginEndpoint) => new()
    {
        ["name"] = name,
        ["suffixes"] = new JsonObject { ["keyvaultDns"] = keyvaultDns, ["storage"] = storage },
        ["authentication"] = new JsonObject { ["loginEndpoint"] = loginEndpoint },
    };
}
