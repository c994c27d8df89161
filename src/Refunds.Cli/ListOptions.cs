using System.CommandLine;

namespace Refunds.Cli;

/// <summary>
/// The options every operator list shares: the time window (<c>--since</c>, <c>--until</c>, ISO 8601 with an offset,
/// until exclusive), paging (<c>--page-size</c>, <c>--continuation</c>) and <c>--json</c> (the app's answer as it is).
/// </summary>
internal sealed class ListOptions
{
    public Option<string> Since { get; } = new("--since") { Description = "from this time on (ISO 8601 with an offset, e.g. 2026-12-06T00:00:00+08:00)", HelpName = "time" };

    public Option<string> Until { get; } = new("--until") { Description = "before this time (exclusive; ISO 8601 with an offset)", HelpName = "time" };

    public Option<int?> PageSize { get; } = new("--page-size") { Description = "items per page, 1-200 [default: 50]", HelpName = "N" };

    public Option<string> Continuation { get; } = new("--continuation") { Description = "the next page: the value printed after the previous one", HelpName = "token" };

    public Option<bool> Json { get; } = new("--json") { Description = "print the app's answer as it is (JSON)" };

    public ListOptions(bool timeWindow = true)
    {
        HasTimeWindow = timeWindow;
        PageSize.Validators.Add(CliUrls.Positive);
    }

    private bool HasTimeWindow { get; }

    public void AddTo(Command command)
    {
        if (HasTimeWindow)
        {
            command.Options.Add(Since);
            command.Options.Add(Until);
        }

        command.Options.Add(PageSize);
        command.Options.Add(Continuation);
        command.Options.Add(Json);
    }

    /// <summary>The shared query parameters as name/value pairs (null values are left out by <see cref="QueryString"/>).</summary>
    public IEnumerable<(string Name, string? Value)> Parameters(ParseResult parsed) =>
    [
        ("since", HasTimeWindow ? parsed.GetValue(Since) : null),
        ("until", HasTimeWindow ? parsed.GetValue(Until) : null),
        ("page_size", parsed.GetValue(PageSize)?.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("continuation", parsed.GetValue(Continuation)),
    ];
}

internal static class QueryString
{
    /// <summary><c>?a=1&amp;b=2</c> of the parameters that have a value (escaped), or "" when none has.</summary>
    public static string Of(IEnumerable<(string Name, string? Value)> parameters)
    {
        var set = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return set.Count == 0 ? "" : "?" + string.Join("&", set);
    }
}
