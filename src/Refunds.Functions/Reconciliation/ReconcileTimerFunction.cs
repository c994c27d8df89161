using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Refunds.Core.Reconciliation;

namespace Refunds.Functions.Reconciliation;

/// <summary>
/// Reconciles the ledger with Ping++ on <c>%ReconcileSchedule%</c> (default every 5 minutes). No RunOnStartup: a
/// restart loop must not turn into a burst of runs. Correct without the host's singleton lock (see <see cref="Reconciler"/>).
/// </summary>
public sealed partial class ReconcileTimerFunction(Reconciler reconciler, ILogger<ReconcileTimerFunction> logger)
{
    [Function("Reconcile")]
    public async Task Run([TimerTrigger("%ReconcileSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        if (timer.IsPastDue)
        {
            // A missed occurrence is not made up twice: this one run covers it, from where the last run stopped.
            LogPastDue(logger, timer.ScheduleStatus?.Last);
        }

        await reconciler.RunAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "Reconcile timer is past due (last run {LastRun}); running now")]
    private static partial void LogPastDue(ILogger logger, DateTime? lastRun);
}
