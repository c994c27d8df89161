namespace Refunds.Functions.Hosting;

/// <summary>The app's own storage account (<c>AzureWebJobsStorage</c>), read once and checked when the host starts.</summary>
public sealed class StorageOptions
{
    public StorageConnection Connection { get; set; } = null!;
}
