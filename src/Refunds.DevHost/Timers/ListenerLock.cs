using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Refunds.DevHost.Timers;

/// <summary>
/// The singleton lock of one timer function across instances, as the Functions host takes it: a lease on a blob in
/// <c>azure-webjobs-hosts/locks/{hostId}/</c>, held for <c>singleton.listenerLockPeriod</c> and renewed while the
/// instance listens; the others try again every <c>singleton.listenerLockRecoveryPollingInterval</c>.
/// </summary>
public sealed partial class ListenerLock(HostStorage storage, string functionName, SingletonHostOptions options, TimeProvider time, ILogger logger)
{
    private readonly BlobClient _blob = storage.Container.GetBlobClient(storage.ListenerLockBlob(functionName));

    /// <summary>Waits until this instance holds the lock; the handle renews it and reports when it was lost.</summary>
    public async Task<Held> AcquireAsync(CancellationToken cancellationToken)
    {
        var lease = _blob.GetBlobLeaseClient(Guid.NewGuid().ToString());
        var waitingLogged = false;
        while (true)
        {
            try
            {
                await EnsureBlobAsync(cancellationToken);
                await lease.AcquireAsync(options.ListenerLockPeriod, cancellationToken: cancellationToken);
                await _blob.SetMetadataAsync(
                    new Dictionary<string, string> { ["FunctionInstance"] = storage.InstanceId },
                    new BlobRequestConditions { LeaseId = lease.LeaseId }, cancellationToken);
                LogAcquired(logger, functionName, storage.HostId, storage.InstanceId);
                return new Held(lease, options.ListenerLockPeriod / 3, time, logger, functionName);
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                if (!waitingLogged)
                {
                    LogHeldElsewhere(logger, functionName, storage.HostId, options.ListenerLockRecoveryPollingInterval);
                    waitingLogged = true;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Storage unreachable (the SDK gives up with an AggregateException) or any other failure: try again.
                LogStorageFailed(logger, functionName, e.GetType().Name);
            }

            await Task.Delay(options.ListenerLockRecoveryPollingInterval, time, cancellationToken);
        }
    }

    private async Task EnsureBlobAsync(CancellationToken cancellationToken)
    {
        try
        {
            await storage.Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await _blob.UploadAsync(BinaryData.Empty, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // Already there (possibly leased by another instance).
        }
    }

    /// <summary>The lock while held: renewed every third of its period; <see cref="Lost"/> fires when a renewal fails.</summary>
    public sealed class Held : IAsyncDisposable
    {
        private readonly BlobLeaseClient _lease;
        private readonly TimeSpan _renewEvery;
        private readonly TimeProvider _time;
        private readonly ILogger _logger;
        private readonly string _functionName;
        private readonly CancellationTokenSource _lost = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _renewing;

        internal Held(BlobLeaseClient lease, TimeSpan renewEvery, TimeProvider time, ILogger logger, string functionName)
        {
            _lease = lease;
            _renewEvery = renewEvery;
            _time = time;
            _logger = logger;
            _functionName = functionName;
            _renewing = RenewAsync();
        }

        public CancellationToken Lost => _lost.Token;

        private async Task RenewAsync()
        {
            try
            {
                while (true)
                {
                    await Task.Delay(_renewEvery, _time, _stop.Token);
                    try
                    {
                        await _lease.RenewAsync(cancellationToken: _stop.Token);
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
                    {
                        LogLost(_logger, _functionName, e.GetType().Name);
                        await _lost.CancelAsync();
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
        }

        /// <summary>Stops renewing and releases the lease, so another instance takes over at its next try.</summary>
        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _renewing;
            if (!_lost.IsCancellationRequested)
            {
                try
                {
                    using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await _lease.ReleaseAsync(cancellationToken: bounded.Token);
                    LogReleased(_logger, _functionName);
                }
                catch (Exception e) when (e is RequestFailedException or AggregateException or OperationCanceledException)
                {
                    // Storage unreachable: the lease expires on its own within the lock period.
                }
            }

            _lost.Dispose();
            _stop.Dispose();
        }
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Function {FunctionName}: this instance ({InstanceId}) holds the timer lock of host {HostId}")]
    private static partial void LogAcquired(ILogger logger, string functionName, string hostId, string instanceId);

    [LoggerMessage(EventId = 311, Level = LogLevel.Information, Message = "Function {FunctionName}: another instance of host {HostId} holds the timer lock; trying again every {Interval}")]
    private static partial void LogHeldElsewhere(ILogger logger, string functionName, string hostId, TimeSpan interval);

    [LoggerMessage(EventId = 312, Level = LogLevel.Warning, Message = "Function {FunctionName}: the timer lock was lost (renewal failed: {ExceptionType}); listening stops until it is acquired again")]
    private static partial void LogLost(ILogger logger, string functionName, string exceptionType);

    [LoggerMessage(EventId = 313, Level = LogLevel.Information, Message = "Function {FunctionName}: timer lock released")]
    private static partial void LogReleased(ILogger logger, string functionName);

    [LoggerMessage(EventId = 314, Level = LogLevel.Warning, Message = "Function {FunctionName}: taking the timer lock failed ({ExceptionType}); retrying")]
    private static partial void LogStorageFailed(ILogger logger, string functionName, string exceptionType);
}
