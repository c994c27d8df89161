using Azure.Identity;
using Azure.Storage.Blobs;
using Refunds.Functions.Hosting;

namespace Refunds.DevHost.Timers;

/// <summary>
/// The host's own use of the app's storage account (<c>AzureWebJobsStorage</c>): the container
/// <c>azure-webjobs-hosts</c>, where the Functions host keeps its timer locks and schedule status, per host id.
/// </summary>
public sealed class HostStorage(BlobContainerClient container, string hostId, string instanceId)
{
    public const string ContainerName = "azure-webjobs-hosts";

    /// <summary>The setting the Functions host reads a fixed host id from.</summary>
    public const string HostIdSetting = "AzureFunctionsWebHost:hostid";

    public BlobContainerClient Container { get; } = container;

    /// <summary>Instances of one app share it (and so its locks); at most 32 characters: lower-case letters, digits, dashes.</summary>
    public string HostId { get; } = hostId;

    /// <summary>This process (the host's <c>WEBSITE_INSTANCE_ID</c>).</summary>
    public string InstanceId { get; } = instanceId;

    public static HostStorage FromConfiguration(IConfiguration configuration)
    {
        var hostId = ResolveHostId(configuration[HostIdSetting]);
        var section = configuration.GetSection(StorageConnection.DefaultSettingName);
        BlobServiceClient service;
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            service = new BlobServiceClient(section.Value.Trim());
        }
        else
        {
            var uri = section["blobServiceUri"] is { Length: > 0 } explicitUri
                ? new Uri(explicitUri)
                : section["accountName"] is { Length: > 0 } account
                    ? new Uri($"https://{account}.blob.core.windows.net")
                    : throw new InvalidOperationException(
                        $"{StorageConnection.DefaultSettingName}__blobServiceUri (or __accountName) is required: the host keeps timer locks and schedule status in blob storage.");
            service = new BlobServiceClient(uri, section["clientId"] is { Length: > 0 } clientId
                ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
                : new DefaultAzureCredential());
        }

        return new HostStorage(service.GetBlobContainerClient(ContainerName), hostId, Guid.NewGuid().ToString("N"));
    }

    /// <summary>The setting's value checked as the host checks it; unset = from the machine name, so local hosts on one machine share it.</summary>
    public static string ResolveHostId(string? setting)
    {
        if (!string.IsNullOrWhiteSpace(setting))
        {
            var id = setting.Trim();
            return id.Length <= 32 && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-') && id[0] != '-' && id[^1] != '-'
                ? id
                : throw new InvalidOperationException($"{HostIdSetting.Replace(":", "__", StringComparison.Ordinal)} '{id}' must be 1-32 lower-case letters, digits or dashes, not starting or ending with a dash.");
        }

        var machine = new string(Environment.MachineName.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        var derived = ("local-" + machine).TrimEnd('-');
        return derived.Length <= 32 ? derived : derived[..32].TrimEnd('-');
    }

    /// <summary>The blob whose lease makes one instance the listener of a timer function.</summary>
    public string ListenerLockBlob(string functionName) => $"locks/{HostId}/Host.Functions.{functionName}.Listener";

    /// <summary>The blob holding a timer function's last and next occurrence.</summary>
    public string ScheduleStatusBlob(string functionName) => $"timers/{HostId}/Host.Functions.{functionName}/status";
}
