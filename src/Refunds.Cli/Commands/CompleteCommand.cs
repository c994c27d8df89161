using System.CommandLine;
using System.Globalization;

namespace Refunds.Cli.Commands;

/// <summary>
/// <c>refunds complete "&lt;command line&gt;"</c>: what may come next at the end of the line (or at
/// <c>--position</c>), one per line, from System.CommandLine's own completions (commands, options, allowed values).
/// With <c>--bash</c> it reads bash's <c>COMP_LINE</c> and <c>COMP_POINT</c> instead, for
/// <c>complete -C 'dotnet refunds complete --bash' refunds</c>.
/// </summary>
internal static class CompleteCommand
{
    public static Command Create(CliConsole console, Command root)
    {
        var line = new Argument<string>("line") { Arity = ArgumentArity.ZeroOrOne, Description = "the command line so far, e.g. \"refunds ev\"" };
        var position = new Option<int?>("--position") { Description = "the cursor position in the line [default: its end]", HelpName = "N" };
        var bash = new Option<bool>("--bash") { Description = "read the line and cursor from $COMP_LINE and $COMP_POINT (bash's complete -C)" };
        var command = new Command("complete", "Print completions for a partial command line (shell completion).") { line, position, bash };
        command.SetAction(parsed =>
        {
            var text = parsed.GetValue(bash) ? console.Environment("COMP_LINE") ?? "" : parsed.GetValue(line) ?? "";
            var cursor = parsed.GetValue(bash)
                ? int.TryParse(console.Environment("COMP_POINT"), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : text.Length
                : parsed.GetValue(position) ?? text.Length;
            cursor = Math.Clamp(cursor, 0, text.Length);
            var words = text[..cursor].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
            // The line starts with the program (refunds, or dotnet refunds): complete what follows it.
            var start = words.FindIndex(w => w is "refunds" or "refunds.dll" || w.EndsWith("/refunds", StringComparison.Ordinal));
            var args = start >= 0 ? words.Skip(start + 1).ToList() : words;
            var typing = text[..cursor].EndsWith(' ') ? "" : args.LastOrDefault() ?? "";
            var parse = root.Parse(args);
            foreach (var item in parse.GetCompletions(typing.Length > 0 ? null : cursor).Where(c => c.Label.StartsWith(typing, StringComparison.Ordinal)))
            {
                if (item.Label != "complete")
                {
                    console.Out.WriteLine(item.Label);
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
