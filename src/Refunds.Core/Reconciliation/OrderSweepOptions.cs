using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;

namespace Refunds.Core.Reconciliation;

/// <summary>
/// Settings of the order-list sweep (<see cref="OrderSweep"/>), bound from section <c>Reconciliation</c> (the
/// <c>Sweep*</c> keys) and <c>Pingpp__AppId</c>. One sweep covers the orders created in the last
/// <see cref="SweepWindow"/>; it reads at most <see cref="SweepPagesPerRun"/> pages of 20 orders per timer run, and a
/// new sweep starts <see cref="SweepInterval"/> after the previous one completed.
/// </summary>
public sealed class OrderSweepOptions
{
    /// <summary><c>Reconciliation__SweepEnabled</c> (default false): needs <c>Pingpp__AppId</c>, which the order list requires.</summary>
    public bool SweepEnabled { get; set; }

    /// <summary><c>Reconciliation__SweepWindow</c> (default 7 days): how far back a sweep looks, by order creation time.</summary>
    public TimeSpan SweepWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary><c>Reconciliation__SweepPagesPerRun</c> (default 5): pages of 20 orders read per timer run; the rest continue next run.</summary>
    public int SweepPagesPerRun { get; set; } = 5;

    /// <summary><c>Reconciliation__SweepInterval</c> (default 1 hour): the least time from a completed sweep to the start of the next.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary><c>Pingpp__AppId</c>: the app whose orders are listed (Ping++'s <c>app</c> parameter is required).</summary>
    public string? AppId { get; set; }
}

internal sealed class OrderSweepOptionsValidator : IValidateOptions<OrderSweepOptions>
{
    public ValidateOptionsResult Validate(string? name, OrderSweepOptions options)
    {
        var failures = new List<string>();
        if (options.SweepEnabled && string.IsNullOrWhiteSpace(options.AppId))
        {
            failures.Add($"{SettingNames.ReconciliationSweepEnabled} is true but {SettingNames.PingppAppId} is empty: the order list (GET /v1/orders) needs the Ping++ app id (app_…). Set {SettingNames.PingppAppId} or set {SettingNames.ReconciliationSweepEnabled} to false.");
        }
        else if (options.SweepEnabled && (!options.AppId!.StartsWith("app_", StringComparison.Ordinal) || options.AppId.Length > 64
                     || !options.AppId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')))
        {
            failures.Add($"{SettingNames.PingppAppId} must be a Ping++ app id such as app_1Gqj58ynP0mHeX1q for the order sweep ({SettingNames.ReconciliationSweepEnabled}); got '{options.AppId}'.");
        }

        if (options.SweepWindow <= TimeSpan.Zero || options.SweepWindow > TimeSpan.FromDays(366))
        {
            failures.Add($"{SettingNames.ReconciliationSweepWindow} must be a positive time span of at most 366 days (e.g. 7.00:00:00); got {options.SweepWindow}.");
        }

        if (options.SweepPagesPerRun is < 1 or > 1000)
        {
            failures.Add($"{SettingNames.ReconciliationSweepPagesPerRun} must be between 1 and 1000; got {options.SweepPagesPerRun}.");
        }

        if (options.SweepInterval < TimeSpan.Zero || options.SweepInterval > TimeSpan.FromDays(30))
        {
            failures.Add($"{SettingNames.ReconciliationSweepInterval} must be a time span between 00:00:00 and 30 days (e.g. 01:00:00); got {options.SweepInterval}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
