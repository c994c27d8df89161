using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;

namespace Refunds.Core.Reconciliation;

/// <summary>Settings of a reconciliation run, bound from section <c>Reconciliation</c> (and <c>Refunds__CreateGracePeriod</c>).</summary>
public sealed class ReconciliationOptions
{
    public const string SectionName = "Reconciliation";

    /// <summary><c>Reconciliation__MaxOrdersPerRun</c>: open orders checked per run; the rest continue next run.</summary>
    public int MaxOrdersPerRun { get; set; } = 500;

    /// <summary><c>Reconciliation__MaxRunDuration</c>: no new order is started after this (keep it below the schedule's period).</summary>
    public TimeSpan MaxRunDuration { get; set; } = TimeSpan.FromMinutes(4);

    /// <summary><c>Reconciliation__MaxConcurrency</c>: orders (so Ping++ calls) in flight at once.</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>
    /// <c>Reconciliation__MaxPlacementsPerRun</c> (default 20, 0 = off): charge lookups of refunds whose order is unknown
    /// per run (<see cref="UnplacedRefundPlacer"/>); the rest wait for the next run.
    /// </summary>
    public int MaxPlacementsPerRun { get; set; } = 20;

    /// <summary>
    /// <c>Refunds__CreateGracePeriod</c> (shared with the refund processor): how long a create may take to show up in
    /// Ping++'s list, so the wait before a stuck request is handed back, and the least gap between two hand-backs.
    /// </summary>
    public TimeSpan CreateGracePeriod { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>The limits of one run; <see cref="From"/> takes them from the options.</summary>
public sealed record ReconciliationBudget(int MaxOrders, TimeSpan MaxDuration, int MaxConcurrency)
{
    public static ReconciliationBudget From(ReconciliationOptions options) => new(options.MaxOrdersPerRun, options.MaxRunDuration, options.MaxConcurrency);
}

internal sealed class ReconciliationOptionsValidator : IValidateOptions<ReconciliationOptions>
{
    public ValidateOptionsResult Validate(string? name, ReconciliationOptions options)
    {
        var failures = new List<string>();
        if (options.MaxOrdersPerRun is < 1 or > 100_000)
        {
            failures.Add($"{SettingNames.ReconciliationMaxOrdersPerRun} must be between 1 and 100000.");
        }

        if (options.MaxRunDuration <= TimeSpan.Zero || options.MaxRunDuration > TimeSpan.FromHours(1))
        {
            failures.Add($"{SettingNames.ReconciliationMaxRunDuration} must be a positive time span of at most 1 hour (e.g. 00:04:00).");
        }

        if (options.MaxConcurrency is < 1 or > 64)
        {
            failures.Add($"{SettingNames.ReconciliationMaxConcurrency} must be between 1 and 64.");
        }

        if (options.MaxPlacementsPerRun is < 0 or > 1000)
        {
            failures.Add($"{SettingNames.ReconciliationMaxPlacementsPerRun} must be between 0 and 1000; got {options.MaxPlacementsPerRun}.");
        }

        if (options.CreateGracePeriod <= TimeSpan.Zero)
        {
            failures.Add($"{SettingNames.RefundsCreateGracePeriod} must be a positive time span (e.g. 00:02:00).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
