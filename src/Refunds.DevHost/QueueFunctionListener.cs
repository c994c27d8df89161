using System.Collections.Concurrent;
using System.Text;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace Refunds.DevHost;

/// <summary>
/// Polls one queue for one function with the Functions host's semantics (host.json <c>extensions.queues</c>):
/// batches of <c>batchSize</c>, the next batch once at most <c>newBatchThreshold</c> are running, success deletes,
/// failure makes the message visible again after <c>visibilityTimeout</c>, and a message that failed with
/// <c>DequeueCount &gt;= maxDequeueCount</c> moves to <c>{queue}-poison</c> with its text unchanged.
/// </summary>
public sealed partial class QueueFunctionListener(
    ServedFunction function,
    QueueServiceClient queueService,
    QueueHostOptions options,
    IServiceScopeFactory scopes,
    TimeProvider timeProvider,
    ILogger<QueueFunctionListener> logger) : BackgroundService
{
    public const string PoisonSuffix = "-poison";

    // Messages are read and written as stored; decoding is done per message so one malformed message fails alone
    // instead of failing the receive of its whole batch (the SDK's base64 decoder throws after dequeueing).
    private readonly QueueClient _queue = queueService.GetQueueClient(function.QueueName);
    private readonly QueueClient _poison = queueService.GetQueueClient(function.QueueName + PoisonSuffix);
    private readonly ConcurrentDictionary<long, Task> _running = new();
    private readonly SemaphoreSlim _finished = new(0);
    private long _nextInvocation;
    private int _inFlight;
    private bool _poisonExists;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await PollAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // Graceful stop: no new batches; the running invocations see their token cancelled and finish.
        await Task.WhenAll(_running.Values);
    }

    private async Task PollAsync(CancellationToken stoppingToken)
    {
        var delay = QueueHostOptions.MinPollingInterval;
        while (!await TryCreateQueueAsync(stoppingToken))
        {
            await Task.Delay(options.MaxPollingInterval, timeProvider, stoppingToken);
        }

        LogListening(logger, function.Name, function.QueueName!, options.BatchSize, options.NewBatchThreshold, options.MaxDequeueCount);
        function.MarkReady();
        while (!stoppingToken.IsCancellationRequested)
        {
            while (Volatile.Read(ref _inFlight) > options.NewBatchThreshold)
            {
                await _finished.WaitAsync(stoppingToken);
            }

            QueueMessage[] messages;
            try
            {
                messages = (await _queue.ReceiveMessagesAsync(options.BatchSize, options.MessageLease, stoppingToken)).Value;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogReceiveFailed(logger, e.GetType().Name, function.QueueName!);
                await Task.Delay(options.MaxPollingInterval, timeProvider, stoppingToken);
                continue;
            }

            if (messages.Length == 0)
            {
                await Task.Delay(delay, timeProvider, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxPollingInterval.Ticks));
                continue;
            }

            delay = QueueHostOptions.MinPollingInterval;
            foreach (var message in messages)
            {
                Interlocked.Increment(ref _inFlight);
                var id = Interlocked.Increment(ref _nextInvocation);
                _running[id] = RunAsync(id, message, stoppingToken);
            }
        }
    }

    private async Task RunAsync(long id, QueueMessage message, CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await ProcessAsync(message, stoppingToken);
        }
        catch (Exception e)
        {
            // Storage failed while completing the message: it reappears after its lease; never crash the host.
            LogCompletionFailed(logger, e, function.Name, message.MessageId);
        }
        finally
        {
            _running.TryRemove(id, out _);
            Interlocked.Decrement(ref _inFlight);
            _finished.Release();
        }
    }

    private async Task ProcessAsync(QueueMessage message, CancellationToken stoppingToken)
    {
        if (message.DequeueCount > options.MaxDequeueCount)
        {
            // Left over by a crash after its last allowed attempt: the host poisons it without running it again.
            await MoveToPoisonAsync(message);
            return;
        }

        try
        {
            var arguments = Arguments(message, stoppingToken);
            await using (var scope = scopes.CreateAsyncScope())
            {
                await FunctionInvoker.InvokeAsync(function.Descriptor, scope.ServiceProvider, arguments);
            }
        }
        catch (Exception e)
        {
            LogInvocationFailed(logger, e, function.Name, message.MessageId, message.DequeueCount);
            if (message.DequeueCount >= options.MaxDequeueCount && !stoppingToken.IsCancellationRequested)
            {
                await MoveToPoisonAsync(message);
            }
            else
            {
                await _queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: options.VisibilityTimeout, cancellationToken: CancellationToken.None);
            }

            return;
        }

        await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
    }

    private object?[] Arguments(QueueMessage message, CancellationToken stoppingToken)
    {
        var body = options.MessageEncoding == QueueMessageEncoding.Base64
            ? new BinaryData(Convert.FromBase64String(message.MessageText))
            : message.Body;
        return function.Descriptor.Method.GetParameters().Select(parameter => parameter.ParameterType switch
        {
            var t when t == typeof(CancellationToken) => stoppingToken,
            var t when t == typeof(string) => Encoding.UTF8.GetString(body.ToMemory().Span),
            var t when t == typeof(BinaryData) => body,
            var t when t == typeof(QueueMessage) => (object)QueuesModelFactory.QueueMessage(
                message.MessageId, message.PopReceipt, body, message.DequeueCount, message.NextVisibleOn, message.InsertedOn, message.ExpiresOn),
            _ => null,
        }).ToArray();
    }

    private async Task MoveToPoisonAsync(QueueMessage message)
    {
        if (!_poisonExists)
        {
            await _poison.CreateIfNotExistsAsync(cancellationToken: CancellationToken.None);
            _poisonExists = true;
        }

        // Copy first, then delete: a crash in between leaves a duplicate in the poison queue, never a lost request.
        await _poison.SendMessageAsync(message.MessageText, CancellationToken.None);
        await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
        LogPoisoned(logger, function.Name, message.MessageId, message.DequeueCount, _poison.Name);
    }

    private async Task<bool> TryCreateQueueAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCreateFailed(logger, e.GetType().Name, function.QueueName!);
            return false;
        }
    }

    public override void Dispose()
    {
        _finished.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Function {FunctionName} listens on queue {QueueName} (batch {BatchSize}, threshold {NewBatchThreshold}, max dequeue {MaxDequeueCount})")]
    private static partial void LogListening(ILogger logger, string functionName, string queueName, int batchSize, int newBatchThreshold, int maxDequeueCount);

    [LoggerMessage(EventId = 201, Level = LogLevel.Error, Message = "Function {FunctionName} failed for message {MessageId} (attempt {DequeueCount})")]
    private static partial void LogInvocationFailed(ILogger logger, Exception exception, string functionName, string messageId, long dequeueCount);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Function {FunctionName}: message {MessageId} moved to {PoisonQueue} after {DequeueCount} attempts")]
    private static partial void LogPoisoned(ILogger logger, string functionName, string messageId, long dequeueCount, string poisonQueue);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Receiving from queue {QueueName} failed ({ExceptionType}); retrying")]
    private static partial void LogReceiveFailed(ILogger logger, string exceptionType, string queueName);

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "Creating queue {QueueName} failed ({ExceptionType}); retrying")]
    private static partial void LogCreateFailed(ILogger logger, string exceptionType, string queueName);

    [LoggerMessage(EventId = 205, Level = LogLevel.Error, Message = "Function {FunctionName}: completing message {MessageId} failed; it reappears after its lease")]
    private static partial void LogCompletionFailed(ILogger logger, Exception exception, string functionName, string messageId);
}
