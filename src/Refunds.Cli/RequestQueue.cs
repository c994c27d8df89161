using Azure;
using Azure.Storage.Queues;
using Refunds.Core.Refunds;

namespace Refunds.Cli;

/// <summary>The refund request queue as the CLI uses it: the app's own sender, with storage errors turned into one line.</summary>
internal sealed class RequestQueue
{
    private readonly RefundRequestQueue _queue;
    private readonly Uri _endpoint;

    private RequestQueue(RefundRequestQueue queue, Uri endpoint)
    {
        _queue = queue;
        _endpoint = endpoint;
    }

    public string Name => _queue.QueueName;

    public static RequestQueue Open(string connectionString, string queueName)
    {
        var options = new QueueClientOptions();
        // Fail in seconds when storage is down instead of the SDK's long default back-off.
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(300);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        QueueServiceClient service;
        try
        {
            service = new QueueServiceClient(connectionString, options);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            // Never echo the value: it may hold an account key.
            throw new UsageException("--storage (or AzureWebJobsStorage) is not a storage connection string with a queue endpoint");
        }

        return new RequestQueue(new RefundRequestQueue(service, queueName), service.Uri);
    }

    public async Task SendAsync(RefundRequest request, CancellationToken ct)
    {
        try
        {
            await _queue.EnqueueAsync(request, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && Unreachable.IsConnectionFailure(ex))
        {
            throw Unreachable.Error("the storage queue service", _endpoint, ex);
        }
        catch (RequestFailedException ex)
        {
            throw new CliException($"the queue service at {_endpoint.GetLeftPart(UriPartial.Path)} refused queue '{Name}': {ex.Status} {ex.ErrorCode}");
        }
    }
}
