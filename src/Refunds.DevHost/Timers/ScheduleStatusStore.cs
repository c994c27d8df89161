using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;

namespace Refunds.DevHost.Timers;

/// <summary>A timer function's last and next occurrence, kept as the host keeps it (JSON <c>Last</c>, <c>Next</c>, <c>LastUpdated</c>).</summary>
public sealed record ScheduleStatusRecord(DateTimeOffset Last, DateTimeOffset Next, DateTimeOffset LastUpdated);

/// <summary>Reads and writes <c>azure-webjobs-hosts/timers/{hostId}/Host.Functions.{name}/status</c>.</summary>
public sealed class ScheduleStatusStore(HostStorage storage, string functionName)
{
    private static readonly JsonSerializerOptions Json = new();
    private readonly BlobClient _blob = storage.Container.GetBlobClient(storage.ScheduleStatusBlob(functionName));

    public async Task<ScheduleStatusRecord?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var content = await _blob.DownloadContentAsync(cancellationToken);
            return content.Value.Content.ToObjectFromJson<ScheduleStatusRecord>(Json);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
        catch (JsonException)
        {
            // Unreadable: treated like none (the next write replaces it).
            return null;
        }
    }

    public async Task WriteAsync(ScheduleStatusRecord status, CancellationToken cancellationToken)
    {
        await storage.Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await _blob.UploadAsync(BinaryData.FromObjectAsJson(status, Json), overwrite: true, cancellationToken);
    }
}
