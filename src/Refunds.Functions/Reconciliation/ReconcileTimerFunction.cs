using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Refunds.Core.Reconciliation;

namespace Refunds.Functions.Reconciliation;

/// <summary>
/// Reconciles the ledger with Ping++ on <c>%ReconcileSchedule%</c> (default every 5 minutes). No RunOnStartup: a
/// restart loop must not turn into a burst of runs. Each run checks the open work, then the finished orders due for a re-check, then continues the order-list sweep. Correct without the host's singleton lock (see <see cref="Reconciler"/>).
/// </summary>
public sealed partial class ReconcileTimerFunction(Reconciler reconciler, OrderWatchRechecks rechecks, OrderSweep sweep, ILogger<ReconcileTimerFunction> logger)
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

        // Finished orders due for a re-check (Reconciliation__RechecksPerRun at most).
        await rechecks.RunAsync(cancellationToken);

        // After the open work: the order-list sweep (off unless Reconciliation__SweepEnabled), bounded by its pages per run.
        await sweep.RunAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "Reconcile timer is past due (last run {LastRun}); running now")]
    private static partial void LogPastDue(ILogger logger, DateTime? lastRun);
}
