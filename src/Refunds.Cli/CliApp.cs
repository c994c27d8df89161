using System.CommandLine;
using System.CommandLine.Help;
using Refunds.Cli.Commands;

namespace Refunds.Cli;

/// <summary>
/// The <c>refunds</c> command (System.CommandLine), callable in-process (tests) or from <see cref="Program"/>.
/// Exit codes: <see cref="ExitCodes.Summary"/>. Every failure is one line on stderr, never a stack trace.
/// </summary>
public static class CliApp
{
    private const string Summary = "refunds: enqueue, submit and follow Ping++ order refunds of the local (or a deployed) function app.";

    private const string RootDetails = $"""
        In this repository run it as `dotnet refunds …` (./scripts/run-local.sh installs it as a local tool).
        After `source .local/refunds.env` it talks to the local run: $APP, $KEY, $MASTER_KEY and $SIM are read as
        defaults (the operator commands problems … reapply take the master key).

        Exit codes: 0 done; 1 failed or not finished; 2 invalid arguments or input (nothing sent, or the app
        answered 400); 3 not found (404); 4 not allowed in the current state (409); 5 key refused (401/403);
        6 app, simulator or storage unreachable; 130 canceled.

        Completion: `refunds complete "<command line>"` prints what may come next (System.CommandLine's completions);
        for bash: complete -C 'dotnet refunds complete --bash' refunds

        Examples:
          dotnet refunds submit 2011708070000007521 --description "退货" --charge ch_L8qn10mLmr1GS8e5OODmHaL4 --amount 10
          dotnet refunds show 2011708070000007521
          dotnet refunds problems --kind dead_lettered
          dotnet refunds demo --help
        """;

    /// <summary>Runs one command with the process environment; output goes to the writers only (no redrawing progress line).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
        => RunAsync(args, new CliConsole(stdout, stderr, Interactive: false, Environment.GetEnvironmentVariable), cancellationToken);

    /// <summary>Runs one command with the given environment variables only (tests).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
        => RunAsync(args, new CliConsole(stdout, stderr, Interactive: false, name => environment.GetValueOrDefault(name)), cancellationToken);

    internal static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(args);
        HttpClient? http = null;
        try
        {
            var root = CreateRoot(console, () => http ??= CreateHttpClient());
            var configuration = new InvocationConfiguration { Output = console.Out, Error = console.Err, EnableDefaultExceptionHandler = false };
            if (args.Length == 0)
            {
                // No command: the overview on stderr, and exit 2 as for any other incomplete command line.
                await root.Parse(["--help"]).InvokeAsync(new InvocationConfiguration { Output = console.Err }, ct).ConfigureAwait(false);
                return ExitCodes.Invalid;
            }

            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0 && parsed.Action is not HelpAction)
            {
                console.Err.WriteLine($"refunds: {UsageError(parsed)} (see {CommandPath(parsed)} --help)");
                return ExitCodes.Invalid;
            }

            return await parsed.InvokeAsync(configuration, ct).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            console.Err.WriteLine($"refunds: {ex.Message} (see refunds {args[0]} --help)");
            return ExitCodes.Invalid;
        }
        catch (CliException ex)
        {
            console.Err.WriteLine($"refunds: {ex.Message}");
            return ex.ExitCode;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            console.Err.WriteLine("refunds: canceled");
            return ExitCodes.Canceled;
        }
        catch (Exception ex)
        {
            // Last resort: still one line, and the message only (it never carries a connection string or key).
            console.Err.WriteLine($"refunds: unexpected {ex.GetType().Name}: {ex.Message}");
            return ExitCodes.Failed;
        }
        finally
        {
            http?.Dispose();
        }
    }

    private static Command CreateRoot(CliConsole console, Func<HttpClient> http)
    {
        var details = new Dictionary<Command, string>
        {
            [EnqueueCommand.Create(console)] = EnqueueCommand.Details,
            [SubmitCommand.Create(console, http)] = SubmitCommand.Details,
            [ShowCommand.Create(console, http)] = ShowCommand.Details,
            [DemoCommand.Create(console, http)] = DemoCommand.Details,
            [ProblemCommands.Problems(console, http)] = ProblemCommands.ProblemsDetails,
        };
        foreach (var action in RequestActionCommands.Create(console, http))
        {
            details[action] = RequestActionCommands.Details;
        }

        details[ProblemCommands.Review(console, http)] = ProblemCommands.ReviewDetails;
        details[SearchCommands.Search(console, http)] = SearchCommands.SearchDetails;
        details[SearchCommands.Export(console, http)] = SearchCommands.ExportDetails;
        details[EventCommands.Events(console, http)] = EventCommands.EventsDetails;
        details[EventCommands.Event(console, http)] = EventCommands.EventDetails;
        details[EventCommands.Reapply(console, http)] = EventCommands.ReapplyDetails;
        // A plain command named "refunds", not RootCommand: its name would be the host's (testhost, dotnet).
        var root = new Command("refunds", Summary) { new HelpOption() };
        foreach (var command in details.Keys)
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(CompleteCommand.Create(console, root));
        details[root] = RootDetails;
        var help = root.Options.OfType<HelpOption>().Single();
        help.Recursive = true;
        help.Action = new HelpWithDetails((HelpAction)help.Action!, details);
        return root;
    }

    /// <summary>The first problem, worded for a person: unknown options and stray arguments named as typed.</summary>
    private static string UsageError(ParseResult parsed)
    {
        if (parsed.UnmatchedTokens.Count > 0)
        {
            var token = parsed.UnmatchedTokens[0];
            return token.StartsWith('-') ? $"unknown option {token}" : $"unexpected argument '{token}'";
        }

        // One line: System.CommandLine lists allowed values on lines of their own.
        var first = string.Join(" ", parsed.Errors[0].Message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries));
        return first == "Required command was not provided." ? "name a command (see refunds --help)" : first;
    }

    private static string CommandPath(ParseResult parsed)
        => parsed.CommandResult.Command.Parents.FirstOrDefault() is null ? "refunds" : $"refunds {parsed.CommandResult.Command.Name}";

    private static HttpClient CreateHttpClient()
        => new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) }) { Timeout = TimeSpan.FromSeconds(30) };
}
