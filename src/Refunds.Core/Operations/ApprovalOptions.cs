using Microsoft.Extensions.Options;

namespace Refunds.Core.Operations;

/// <summary>
/// The approval limits, bound from the section <c>Approval</c> (app settings <c>Approval__*</c>), in fen. A request
/// above either is recorded <see cref="Ledger.RefundRequestState.AwaitingApproval"/> and nothing is sent until an
/// operator approves. The defaults let small refunds through as before and stop large ones.
/// </summary>
public sealed class ApprovalOptions
{
    public const string SectionName = "Approval";
    public const string MaxAmountPerRequestSetting = Configuration.SettingNames.ApprovalMaxAmountPerRequest;
    public const string MaxAmountPerDaySetting = Configuration.SettingNames.ApprovalMaxAmountPerDay;

    /// <summary><c>Approval__MaxAmountPerRequest</c>: the largest refund sent without approval (default 100000 fen = 1,000 yuan).</summary>
    public long MaxAmountPerRequest { get; set; } = 100_000;

    /// <summary>
    /// <c>Approval__MaxAmountPerDay</c>: the most refunded without approval per UTC day, summed over the requests let
    /// through (default 1000000 fen = 10,000 yuan). Approved requests do not count.
    /// </summary>
    public long MaxAmountPerDay { get; set; } = 1_000_000;
}

/// <summary>Fails startup naming the setting.</summary>
public sealed class ApprovalOptionsValidator : IValidateOptions<ApprovalOptions>
{
    public ValidateOptionsResult Validate(string? name, ApprovalOptions options)
    {
        var failures = new List<string>();
        if (options.MaxAmountPerRequest < 0)
        {
            failures.Add($"{ApprovalOptions.MaxAmountPerRequestSetting} ({options.MaxAmountPerRequest}) must be a number of fen, 0 or more (0: every refund waits for approval).");
        }

        if (options.MaxAmountPerDay < 0)
        {
            failures.Add($"{ApprovalOptions.MaxAmountPerDaySetting} ({options.MaxAmountPerDay}) must be a number of fen, 0 or more (0: every refund waits for approval).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
