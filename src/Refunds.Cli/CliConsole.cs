namespace Refunds.Cli;

/// <summary>
/// Where output goes, whether a progress line may redraw itself (a terminal) or must print new lines, and where
/// environment variables come from (the process, or a test's own dictionary).
/// </summary>
internal sealed record CliConsole(TextWriter Out, TextWriter Err, bool Interactive, Func<string, string?> Environment)
{
    /// <summary>The first of <paramref name="names"/> that is set to a non-empty value.</summary>
    public string? FirstSet(params string[] names)
        => names.Select(Environment).FirstOrDefault(v => !string.IsNullOrEmpty(v));
}
