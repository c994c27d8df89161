using System.Text.RegularExpressions;

namespace Refunds.LocalRunTests;

/// <summary>
/// A fenced shell block of README.md and the marker comment on the line before it:
/// <c>&lt;!-- readme-test: run[, http 202 200][, exit N] --&gt;</c> (run against a local run; the HTTP status lines it
/// prints, in order, and its exit code, 0 unless given), or <c>&lt;!-- readme-test: not run: reason --&gt;</c>.
/// </summary>
internal sealed partial record ShellBlock(int Line, string Code, string? Marker)
{
    public bool Runs => Marker is not null && RunMarker().IsMatch(Marker);

    public string? NotRunReason => Marker is not null && NotRunMarker().Match(Marker) is { Success: true } m ? m.Groups[1].Value.Trim() : null;

    public IReadOnlyList<int> HttpStatuses
        => Marker is not null && RunMarker().Match(Marker) is { Success: true } m && m.Groups["http"].Success
            ? [.. m.Groups["http"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)]
            : [];

    public int ExitCode => Marker is not null && RunMarker().Match(Marker) is { Success: true } m && m.Groups["exit"].Success
        ? int.Parse(m.Groups["exit"].Value, System.Globalization.CultureInfo.InvariantCulture)
        : 0;

    public override string ToString() => $"README.md line {Line}: {Code.Split('\n')[0]}";

    [GeneratedRegex(@"^readme-test: run(, http (?<http>[1-5][0-9]{2}( [1-5][0-9]{2})*))?(, exit (?<exit>[0-9]+))?$")]
    private static partial Regex RunMarker();

    [GeneratedRegex(@"^readme-test: not run: (\S.*)$")]
    private static partial Regex NotRunMarker();
}

internal static partial class ReadmeBlocks
{
    private static readonly string[] ShellLanguages = ["bash", "sh", "shell", "console", "zsh"];

    public static string ReadmePath => RepositoryPaths.InPlace("README.md");

    /// <summary>Every fenced block whose language is a shell, in order, with the marker comment just above it (if any).</summary>
    public static IReadOnlyList<ShellBlock> Read(string? path = null)
    {
        var lines = File.ReadAllLines(path ?? ReadmePath);
        var blocks = new List<ShellBlock>();
        for (var i = 0; i < lines.Length; i++)
        {
            var fence = Fence().Match(lines[i]);
            if (!fence.Success)
            {
                continue;
            }

            var start = i;
            var body = new List<string>();
            for (i++; i < lines.Length && lines[i].Trim() != "```"; i++)
            {
                body.Add(lines[i]);
            }

            if (!ShellLanguages.Contains(fence.Groups[1].Value, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            var above = start - 1;
            while (above >= 0 && lines[above].Trim().Length == 0)
            {
                above--;
            }

            var marker = above >= 0 && MarkerComment().Match(lines[above].Trim()) is { Success: true } m ? m.Groups[1].Value.Trim() : null;
            blocks.Add(new ShellBlock(start + 1, string.Join('\n', body), marker));
        }

        return blocks;
    }

    [GeneratedRegex(@"^\s*```\s*([A-Za-z]*)\s*$")]
    private static partial Regex Fence();

    [GeneratedRegex(@"^<!--\s*(readme-test:.*?)\s*-->$")]
    private static partial Regex MarkerComment();
}
