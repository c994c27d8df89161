using System.CommandLine;
using Refunds.Core.Configuration;
using Refunds.Core.Refunds;

namespace Refunds.Cli;

/// <summary>
/// The function app's address and key (<c>--app</c>, <c>--key</c>). Defaults come from the environment that
/// <c>source .local/refunds.env</c> sets (written by <c>./scripts/run-local.sh</c>); the key never appears in help.
/// </summary>
/// <remarks>
/// Operator commands (problems, actions, search, export, the webhook event log) call admin routes, which take the
/// app's master key: their <c>--key</c> defaults to <c>$REFUNDS_MASTER_KEY</c>, else <c>$MASTER_KEY</c> (also written
/// by run-local.sh), never to the function key.
/// </remarks>
internal sealed class AppOptions
{
    public const string DefaultApp = "http://127.0.0.1:7071";
    public static readonly string[] AppVariables = ["REFUNDS_APP", "APP"];
    public static readonly string[] KeyVariables = ["REFUNDS_KEY", "KEY"];
    public static readonly string[] MasterKeyVariables = ["REFUNDS_MASTER_KEY", "MASTER_KEY"];

    private readonly string[] _keyVariables;

    public AppOptions(bool operatorRoutes = false)
    {
        _keyVariables = operatorRoutes ? MasterKeyVariables : KeyVariables;
        Key = new Option<string>("--key")
        {
            Description = operatorRoutes
                ? "the app's master (admin) key, sent as x-functions-key [default: $REFUNDS_MASTER_KEY, else $MASTER_KEY]"
                : "function key, sent as x-functions-key [default: $REFUNDS_KEY, else $KEY]",
            HelpName = operatorRoutes ? "master key" : "function key",
        };
    }

    public Option<string> App { get; } = new("--app")
    {
        Description = $"the function app's base URL [default: $REFUNDS_APP, else $APP, else {DefaultApp}]",
        HelpName = "url",
    };

    public Option<string> Key { get; }

    public void AddTo(Command command)
    {
        command.Options.Add(App);
        command.Options.Add(Key);
    }

    public RefundsApiClient Open(ParseResult parsed, CliConsole console, HttpClient http)
        => new(http,
            CliUrls.Parse(App.Name, parsed.GetValue(App) ?? console.FirstSet(AppVariables) ?? DefaultApp),
            parsed.GetValue(Key) ?? console.FirstSet(_keyVariables));
}

/// <summary>The storage queue refund requests go to (<c>--storage</c>, <c>--queue</c>).</summary>
internal sealed class QueueOptions
{
    public static readonly string[] StorageVariables = ["REFUNDS_STORAGE", "AzureWebJobsStorage"];

    public Option<string> Storage { get; } = new("--storage")
    {
        Description = "storage connection string [default: $REFUNDS_STORAGE, else $AzureWebJobsStorage, else UseDevelopmentStorage=true]",
        HelpName = "connection string",
    };

    public Option<string> Queue { get; } = new("--queue")
    {
        Description = $"queue name [default: ${SettingNames.RefundRequestsQueue}, else {StorageNames.DefaultRefundRequestsQueue}]",
        HelpName = "name",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Storage);
        command.Options.Add(Queue);
    }

    public RequestQueue Open(ParseResult parsed, CliConsole console)
        => RequestQueue.Open(
            parsed.GetValue(Storage) ?? console.FirstSet(StorageVariables) ?? "UseDevelopmentStorage=true",
            parsed.GetValue(Queue) ?? console.FirstSet(SettingNames.RefundRequestsQueue) ?? StorageNames.DefaultRefundRequestsQueue);
}

/// <summary>The order a command is about: <c>&lt;orderId&gt;</c> or <c>--order &lt;id&gt;</c>.</summary>
internal sealed class OrderInput
{
    public Argument<string> Positional { get; } = new("orderId")
    {
        Arity = ArgumentArity.ZeroOrOne,
        Description = "the Ping++ order id (or --order)",
    };

    public Option<string> Option { get; } = new("--order") { Description = "the Ping++ order id", HelpName = "id" };

    public void AddTo(Command command)
    {
        command.Arguments.Add(Positional);
        command.Options.Add(Option);
    }

    public string Get(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command.Name;
        return (parsed.GetValue(Positional), parsed.GetValue(Option)) switch
        {
            (null, null) => throw new UsageException($"{command} needs an order id: refunds {command} <orderId>"),
            ({ } p, null) => p,
            (null, { } o) => o,
            _ => throw new UsageException($"{command} takes one order id: give <orderId> or --order, not both"),
        };
    }
}

internal static class CliUrls
{
    /// <summary>An absolute http(s) URL with a trailing slash, so relative paths append to it.</summary>
    public static Uri Parse(string option, string raw)
        => Uri.TryCreate(raw.TrimEnd('/') + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new UsageException($"{option} must be an http(s) URL, not '{raw}'");

    /// <summary>A whole number above 0 (used as an option validator).</summary>
    public static void Positive(System.CommandLine.Parsing.OptionResult result)
    {
        if (result.Tokens.Count > 0 && !(int.TryParse(result.Tokens[0].Value, System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0))
        {
            result.AddError($"{result.Option.Name} must be a whole number above 0, not '{result.Tokens[0].Value}'");
        }
    }
}
