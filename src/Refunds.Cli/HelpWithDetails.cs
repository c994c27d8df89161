using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Refunds.Cli;

/// <summary>
/// <c>--help</c>: System.CommandLine's help (one-line description, usage, options), then the command's details and
/// examples. The command list of <c>refunds --help</c> stays one line per command.
/// </summary>
/// <param name="details">Per command, the text shown after its options.</param>
internal sealed class HelpWithDetails(HelpAction standard, IReadOnlyDictionary<Command, string> details) : SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        var code = standard.Invoke(parseResult);
        if (details.TryGetValue(parseResult.CommandResult.Command, out var text))
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine(text.TrimEnd());
            output.WriteLine();
        }

        return code;
    }
}
