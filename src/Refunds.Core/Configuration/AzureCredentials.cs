using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;

namespace Refunds.Core.Configuration;

/// <summary>
/// The one place that picks how the app authenticates to Azure (Key Vault <c>sign</c>, identity-based storage).
/// In Azure only the managed identity is tried: <see cref="DefaultAzureCredential"/> would also try environment
/// secrets, workload identity and developer tools, so a stray setting on the app could change who signs refunds.
/// On a developer machine the developer chain (Azure CLI, azd, Visual Studio, …) is used, never a managed identity.
/// </summary>
public static class AzureCredentials
{
    /// <summary>Settings App Service / Functions sets on every instance; none of them is set on a developer machine.</summary>
    public static readonly string[] AzureHostMarkers = ["IDENTITY_ENDPOINT", "WEBSITE_INSTANCE_ID", "WEBSITE_SITE_NAME"];

    /// <summary>The user-assigned identity's client id (Bicep sets it); empty means the system-assigned identity.</summary>
    public const string ClientIdSetting = "AZURE_CLIENT_ID";

    public static bool RunsInAzure(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return AzureHostMarkers.Any(name => !string.IsNullOrWhiteSpace(configuration[name]));
    }

    /// <param name="clientId">A user-assigned identity's client id; null takes <c>AZURE_CLIENT_ID</c>.</param>
    public static TokenCredential Create(IConfiguration configuration, string? clientId = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (!RunsInAzure(configuration))
        {
            return new DefaultAzureCredential(new DefaultAzureCredentialOptions
            {
                ExcludeManagedIdentityCredential = true,
                ExcludeWorkloadIdentityCredential = true,
            });
        }

        clientId ??= configuration[ClientIdSetting];
        return string.IsNullOrWhiteSpace(clientId)
            ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId.Trim()));
    }
}
