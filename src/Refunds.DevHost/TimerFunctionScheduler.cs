using Cronos;
using Microsoft.Azure.Functions.Worker;

namespace Refunds.DevHost;

/// <summary>
/// Runs one timer function on its NCRONTAB schedule (six fields, seconds first, UTC), one invocation at a time.
/// An occurrence missed because the previous run overran is run at once with <see cref="TimerInfo.IsPastDue"/>.
/// </summary>
public sealed partial class TimerFunctionScheduler(
    ServedFunction function,
    CronExpression schedule,
    bool runOnStartup,
    IServiceScopeFactory scopes,
    TimeProvider timeProvider,
    ILogger<TimerFunctionScheduler> logger) : BackgroundService
{
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
        try
        {
            var last = timeProvider.GetUtcNow();
            function.NextOccurrence = Next(last);
            LogScheduled(logger, function.Name, function.Schedule!, function.NextOccurrence);
            function.MarkReady();
            if (runOnStartup)
            {
                await InvokeAsync(isPastDue: false, last, function.NextOccurrence, stoppingToken);
            }

            while (!stoppingToken.IsCancellationRequested)
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
                    await Task.Delay(next.Value - timeProvider.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero, timeProvider, stoppingToken);
                }

                await InvokeAsync(pastDue, last, Next(next.Value), stoppingToken);
                last = pastDue ? timeProvider.GetUtcNow() : next.Value;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private DateTimeOffset? Next(DateTimeOffset from) => schedule.GetNextOccurrence(from, TimeZoneInfo.Utc);

    private async Task InvokeAsync(bool isPastDue, DateTimeOffset last, DateTimeOffset? next, CancellationToken stoppingToken)
    {
        var timerInfo = new TimerInfo
        {
            IsPastDue = isPastDue,
            ScheduleStatus = new ScheduleStatus
            {
                Last = last.UtcDateTime,
                Next = next?.UtcDateTime ?? DateTime.MaxValue,
                LastUpdated = timeProvider.GetUtcNow().UtcDateTime,
            },
        };
        var arguments = function.Descriptor.Method.GetParameters()
            .Select(p => p.ParameterType == typeof(CancellationToken) ? (object)stoppingToken : timerInfo)
            .ToArray();
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await FunctionInvoker.InvokeAsync(function.Descriptor, scope.ServiceProvider, arguments);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // Like the Functions host: a timer does not retry; the next occurrence runs as scheduled.
            LogFailed(logger, e, function.Name);
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Function {FunctionName} scheduled '{Schedule}', next {NextOccurrence:o}")]
    private static partial void LogScheduled(ILogger logger, string functionName, string schedule, DateTimeOffset? nextOccurrence);

    [LoggerMessage(EventId = 301, Level = LogLevel.Error, Message = "Function {FunctionName} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string functionName);
}
