using Cronos;
using Microsoft.Azure.Functions.Worker;
using Refunds.DevHost.Timers;

namespace Refunds.DevHost;

/// <summary>One run of a timer function on this instance, as the scheduler recorded it.</summary>
public sealed record TimerRun(string InstanceId, DateTimeOffset StartedAt, DateTimeOffset EndedAt, bool IsPastDue, bool Succeeded);

/// <summary>
/// Runs one timer function on its NCRONTAB schedule (six fields, seconds first, UTC) as the Functions host does:
/// only on the instance holding the function's listener lock (<see cref="ListenerLock"/>, shared by every instance
/// of the host id), one invocation at a time; the schedule status is kept in storage, so an occurrence missed while
/// no instance listened runs once, past due, when an instance takes the lock; <c>RunOnStartup</c> runs it once when
/// this instance starts listening. An occurrence missed because the previous run overran runs at once, past due.
/// </summary>
public sealed partial class TimerFunctionScheduler(
    ServedFunction function,
    CronExpression schedule,
    bool runOnStartup,
    HostStorage storage,
    SingletonHostOptions singleton,
    IServiceScopeFactory scopes,
    TimeProvider timeProvider,
    ILogger<TimerFunctionScheduler> logger) : BackgroundService
{
    private readonly ListenerLock _lock = new(storage, function.Name, singleton, timeProvider, logger);
    private readonly ScheduleStatusStore _status = new(storage, function.Name);
    private bool _startupRunDone;

    public static CronExpression Parse(string schedule, string functionName)
    {
        try
        {
            return CronExpression.Parse(schedule, CronFormat.IncludeSeconds);
        }
        catch (CronFormatException e)
        {
            throw new InvalidOperationException(
                $"Function {functionName}: schedule '{schedule}' is not a six-field NCRONTAB expression ({e.Message}).");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        function.NextOccurrence = Next(timeProvider.GetUtcNow());
        LogScheduled(logger, function.Name, function.Schedule!, function.NextOccurrence);
        function.MarkReady();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await using var held = await _lock.AcquireAsync(stoppingToken);
                function.IsListening = true;
                using var listening = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, held.Lost);
                try
                {
                    await ListenAsync(listening.Token, stoppingToken);
                }
                catch (OperationCanceledException) when (held.Lost.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
                {
                    // Lock lost: back to waiting for it; another instance runs the schedule meanwhile.
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Storage trouble reading or writing the schedule status: give the lock up and try again later,
                    // never stop the host.
                    LogListenFailed(logger, function.Name, e.GetType().Name);
                    await Task.Delay(singleton.ListenerLockRecoveryPollingInterval, timeProvider, stoppingToken);
                }
                finally
                {
                    function.IsListening = false;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>While holding the lock: a past-due or startup run first, then the schedule. Runs get the host's stopping token only.</summary>
    private async Task ListenAsync(CancellationToken listening, CancellationToken stoppingToken)
    {
        var now = timeProvider.GetUtcNow();
        var status = await _status.ReadAsync(listening);
        var last = now;
        if (status is not null && status.Next <= now)
        {
            // Missed while no instance listened (or the schedule moved earlier): once, past due.
            LogPastDueAtStart(logger, function.Name, status.Next);
            last = await InvokeAsync(isPastDue: true, status.Last, stoppingToken);
        }
        else if (runOnStartup && !_startupRunDone)
        {
            _startupRunDone = true;
            last = await InvokeAsync(isPastDue: false, status?.Last ?? now, stoppingToken);
        }
        else if (status is null)
        {
            await _status.WriteAsync(new ScheduleStatusRecord(default, Next(now) ?? DateTimeOffset.MaxValue, now), listening);
        }

        while (!listening.IsCancellationRequested)
        {
            var next = Next(last);
            function.NextOccurrence = next;
            if (next is null)
            {
                return;
            }

            var pastDue = next.Value <= timeProvider.GetUtcNow();
            if (!pastDue)
            {
                await Task.Delay(next.Value - timeProvider.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero, timeProvider, listening);
            }

            var ended = await InvokeAsync(pastDue, last, stoppingToken);
            last = pastDue ? ended : next.Value;
        }
    }

    private DateTimeOffset? Next(DateTimeOffset from) => schedule.GetNextOccurrence(from, TimeZoneInfo.Utc);

    /// <summary>Runs the function once and records the run in storage; returns when it ended.</summary>
    private async Task<DateTimeOffset> InvokeAsync(bool isPastDue, DateTimeOffset last, CancellationToken stoppingToken)
    {
        var started = timeProvider.GetUtcNow();
        var next = Next(started);
        var timerInfo = new TimerInfo
        {
            IsPastDue = isPastDue,
            ScheduleStatus = new ScheduleStatus
            {
                Last = last.UtcDateTime,
                Next = next?.UtcDateTime ?? DateTime.MaxValue,
                LastUpdated = started.UtcDateTime,
            },
        };
        var arguments = function.Descriptor.Method.GetParameters()
            .Select(p => p.ParameterType == typeof(CancellationToken) ? (object)stoppingToken : timerInfo)
            .ToArray();
        var succeeded = false;
        LogExecuting(logger, function.Name, isPastDue, storage.InstanceId);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await FunctionInvoker.InvokeAsync(function.Descriptor, scope.ServiceProvider, arguments);
            succeeded = true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // Like the Functions host: a timer does not retry; the next occurrence runs as scheduled.
            LogFailed(logger, e, function.Name);
        }

        var ended = timeProvider.GetUtcNow();
        function.TimerRuns.Enqueue(new TimerRun(storage.InstanceId, started, ended, isPastDue, succeeded));
        LogExecuted(logger, function.Name, succeeded, (ended - started).TotalMilliseconds);
        try
        {
            await _status.WriteAsync(new ScheduleStatusRecord(started, Next(ended) ?? DateTimeOffset.MaxValue, ended), CancellationToken.None);
        }
        catch (Exception e) when (e is Azure.RequestFailedException or AggregateException)
        {
            LogStatusNotSaved(logger, function.Name, e.GetType().Name);
        }

        return ended;
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Function {FunctionName} scheduled '{Schedule}', next {NextOccurrence:o}")]
    private static partial void LogScheduled(ILogger logger, string functionName, string schedule, DateTimeOffset? nextOccurrence);

    [LoggerMessage(EventId = 301, Level = LogLevel.Error, Message = "Function {FunctionName} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string functionName);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Executing 'Functions.{FunctionName}' (Reason='Timer fired', past due {IsPastDue}, instance {InstanceId})")]
    private static partial void LogExecuting(ILogger logger, string functionName, bool isPastDue, string instanceId);

    [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "Executed 'Functions.{FunctionName}' (Succeeded {Succeeded}, Duration={DurationMs}ms)")]
    private static partial void LogExecuted(ILogger logger, string functionName, bool succeeded, double durationMs);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "Function {FunctionName} was due at {Next:o} while no instance listened; running it now, past due")]
    private static partial void LogPastDueAtStart(ILogger logger, string functionName, DateTimeOffset next);

    [LoggerMessage(EventId = 305, Level = LogLevel.Warning, Message = "Function {FunctionName}: schedule status not saved ({ExceptionType})")]
    private static partial void LogStatusNotSaved(ILogger logger, string functionName, string exceptionType);

    [LoggerMessage(EventId = 306, Level = LogLevel.Warning, Message = "Function {FunctionName}: reading the schedule status failed ({ExceptionType}); the timer lock is given up and taken again later")]
    private static partial void LogListenFailed(ILogger logger, string functionName, string exceptionType);
}
