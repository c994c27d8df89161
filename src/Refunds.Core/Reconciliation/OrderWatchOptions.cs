using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;

namespace Refunds.Core.Reconciliation;

/// <summary>
/// Settings of the re-checks of finished orders (<see cref="OrderWatchRechecks"/>), bound from section
/// <c>Reconciliation</c>: how long an order stays watched after its last open work ended, when it is listed again, and
/// how many due re-checks one timer run makes (the rest wait for the next run, oldest first).
/// </summary>
public sealed class OrderWatchOptions
{
    /// <summary><c>Reconciliation__WatchWindow</c> (default 30 days): how long after its last open work ended an order is re-checked.</summary>
    public TimeSpan WatchWindow { get; set; } = TimeSpan.FromDays(30);

    /// <summary><c>Reconciliation__RecheckSchedule</c> (default <see cref="RecheckSchedule.Default"/>): the gaps between re-checks, see <see cref="Reconciliation.RecheckSchedule"/>.</summary>
    public string RecheckSchedule { get; set; } = Reconciliation.RecheckSchedule.Default;

    /// <summary><c>Reconciliation__RechecksPerRun</c> (default 200): due re-checks (one Ping++ list each) per timer run.</summary>
    public int RechecksPerRun { get; set; } = 200;

    /// <summary>The parsed schedule (valid once the options passed validation).</summary>
    public RecheckSchedule Schedule() =>
        Reconciliation.RecheckSchedule.TryParse(RecheckSchedule, WatchWindow, out var error)
        ?? throw new InvalidOperationException($"{SettingNames.ReconciliationRecheckSchedule}: {error}");
}

internal sealed class OrderWatchOptionsValidator : IValidateOptions<OrderWatchOptions>
{
    public ValidateOptionsResult Validate(string? name, OrderWatchOptions options)
    {
        var failures = new List<string>();
        if (options.WatchWindow <= TimeSpan.Zero || options.WatchWindow > TimeSpan.FromDays(366))
        {
            failures.Add($"{SettingNames.ReconciliationWatchWindow} must be a positive time span of at most 366 days (e.g. 30.00:00:00); got {options.WatchWindow}.");
        }
        else if (RecheckSchedule.TryParse(options.RecheckSchedule, options.WatchWindow, out var error) is null)
        {
            failures.Add($"{SettingNames.ReconciliationRecheckSchedule} must be comma-separated gaps, each optionally repeated with *count (e.g. {RecheckSchedule.Default}): {error}; got '{options.RecheckSchedule}'.");
        }

        if (options.RechecksPerRun is < 1 or > 10_000)
        {
            failures.Add($"{SettingNames.ReconciliationRechecksPerRun} must be between 1 and 10000; got {options.RechecksPerRun}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
