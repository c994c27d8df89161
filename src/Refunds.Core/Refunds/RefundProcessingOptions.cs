using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;
using Refunds.Core.Pingpp;

namespace Refunds.Core.Refunds;

/// <summary>Settings of <see cref="RefundProcessor"/>, bound from the section <c>Refunds</c> (app settings <c>Refunds__*</c>).</summary>
public sealed class RefundProcessingOptions
{
    public const string SectionName = "Refunds";

    /// <summary>
    /// <c>Refunds__CreateGracePeriod</c>: how long after a create whose outcome is unknown a retry that finds no refund
    /// in Ping++'s list still waits before creating again (a slow create may not be visible yet).
    /// </summary>
    public TimeSpan CreateGracePeriod { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The claim's lease: how long other deliveries of the same request stay away. Must outlast one Ping++ call
    /// (a listing with its read retries, a Key Vault sign and a create): code default, not an app setting.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Kept free at the end of the lease: a create leaves only if its answer (or its timeout) comes this long before
    /// the lease ends, so clock skew between instances cannot let a second delivery claim while it is in flight.
    /// </summary>
    public TimeSpan LeaseMargin => LeaseDuration / 20;
}

/// <summary>Fails startup naming the setting; checks the timings against the Ping++ client's request timeout.</summary>
public sealed class RefundProcessingOptionsValidator(IOptions<PingppClientOptions> pingpp) : IValidateOptions<RefundProcessingOptions>
{
    public ValidateOptionsResult Validate(string? name, RefundProcessingOptions options)
    {
        var failures = new List<string>();
        TimeSpan timeout;
        try
        {
            timeout = pingpp.Value.RequestTimeout;
        }
        catch (OptionsValidationException)
        {
            // The Ping++ options report their own failure (an unresolved Key Vault reference lets the app start so
            // /api/health can name it); the cross-check waits until they are valid.
            return ValidateOptionsResult.Success;
        }

        if (options.CreateGracePeriod <= timeout)
        {
            failures.Add($"{SettingNames.RefundsCreateGracePeriod} ({options.CreateGracePeriod}) must be longer than {SettingNames.PingppRequestTimeout} ({timeout}): "
                         + "a create still in flight must be able to become visible before it is given up.");
        }

        var sign = pingpp.Value.SignTimeout;
        if (options.LeaseDuration <= sign + (timeout * 2))
        {
            failures.Add($"Refunds__LeaseDuration ({options.LeaseDuration}) must be more than Pingpp SignTimeout ({sign}) plus twice {SettingNames.PingppRequestTimeout} ({timeout}): "
                         + "a claim must outlast a listing, a Key Vault sign and a create.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
