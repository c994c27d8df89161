using Spectre.Console;
using Spectre.Console.Rendering;

namespace Refunds.Cli;

/// <summary>
/// Where output goes: Spectre.Console consoles over stdout and stderr (tables, progress), the plain writers behind
/// them (System.CommandLine's help, one-line messages), whether a progress display may redraw itself (a terminal) or
/// must print new lines, and where environment variables come from (the process, or a test's own dictionary).
/// </summary>
/// <remarks>
/// Not a terminal (a pipe, a file, a test's <see cref="StringWriter"/>): no ANSI codes, no colours, ASCII borders and
/// a wide virtual width, so a table is never wrapped and reads the same in a log as in a test's assertion.
/// </remarks>
internal sealed record CliConsole(TextWriter Out, TextWriter Err, bool Interactive, Func<string, string?> Environment)
{
    private const int PipeWidth = 400;

    /// <summary>Tables and progress on stdout.</summary>
    public IAnsiConsole Screen { get; } = Create(Out, Interactive);

    /// <summary>Tables on stderr (what is not the command's result).</summary>
    public IAnsiConsole ErrorScreen { get; } = Create(Err, Interactive);

    /// <summary>The first of <paramref name="names"/> that is set to a non-empty value.</summary>
    public string? FirstSet(params string[] names)
        => names.Select(Environment).FirstOrDefault(v => !string.IsNullOrEmpty(v));

    /// <summary>Renders one widget (a table, a grid) on stdout.</summary>
    public void Write(IRenderable renderable) => Screen.Write(renderable);

    private static IAnsiConsole Create(TextWriter writer, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!interactive)
        {
            console.Profile.Width = PipeWidth;
            console.Profile.Capabilities.Unicode = false;
        }

        return console;
    }
}
