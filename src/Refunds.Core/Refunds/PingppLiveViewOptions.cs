using Microsoft.Extensions.Options;

namespace Refunds.Core.Refunds;

/// <summary>Settings of <see cref="PingppLiveView"/>, bound from the section <c>PingppLiveView</c> (app settings <c>PingppLiveView__*</c>).</summary>
public sealed class PingppLiveViewOptions
{
    public const string SectionName = "PingppLiveView";

    /// <summary>The most <see cref="MaxPages"/> may be: Ping++ lists 20 refunds a page, so 2,000 refunds.</summary>
    public const int MaxPagesLimit = 100;

    /// <summary>
    /// <c>PingppLiveView__MaxPages</c>: the most Ping++ list calls (pages of 20 refunds) one look-up makes. Past it the
    /// answer stops, says so (<c>stopped_early</c>) and keeps <c>has_more</c>. Default 3 (60 refunds).
    /// </summary>
    public int MaxPages { get; set; } = 3;
}

/// <summary>Fails startup when <c>PingppLiveView__MaxPages</c> is out of range, naming the setting.</summary>
public sealed class PingppLiveViewOptionsValidator : IValidateOptions<PingppLiveViewOptions>
{
    public ValidateOptionsResult Validate(string? name, PingppLiveViewOptions options)
        => options.MaxPages is < 1 or > PingppLiveViewOptions.MaxPagesLimit
            ? ValidateOptionsResult.Fail(
                $"{PingppLiveViewOptions.SectionName}__{nameof(PingppLiveViewOptions.MaxPages)} must be between 1 and {PingppLiveViewOptions.MaxPagesLimit} (Ping++ list calls per look-up); got {options.MaxPages}.")
            : ValidateOptionsResult.Success;
}
