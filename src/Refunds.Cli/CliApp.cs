using Azure;
using Azure.Storage.Queues;
using Refunds.Core.Configuration;
using Refunds.Core.Refunds;

namespace Refunds.Cli;

/// <summary>
/// The <c>refunds</c> command runner, callable in-process (tests) or from <see cref="Program"/>. Exit codes: 0 done,
/// 1 failed or did not finish, 2 invalid arguments or an invalid refund request (nothing sent), 130 canceled.
/// Every failure is one line on stderr, never a stack trace.
/// </summary>
public static class CliApp
{
    public const string DefaultApp = "http://127.0.0.1:7071";
    public const string DefaultSimulator = "http://127.0.0.1:7080";
    public const string FunctionKeyVariable = "REFUNDS_KEY";

    /// <summary>Read when <see cref="FunctionKeyVariable"/> is unset: the name <c>scripts/run-local.sh</c> writes to <c>.local/refunds.env</c>.</summary>
    public const string FallbackKeyVariable = "KEY";

    internal const string Usage = """
        refunds: enqueue, submit and follow Ping++ order refunds of the local (or a deployed) function app.

          refunds enqueue --order <id> --description <text> [refund fields] [--storage <conn>] [--queue <name>]
          refunds submit  <orderId> --description <text> [refund fields] [--app <url>] [--key <function key>]
          refunds show    <orderId> [--source pingpp] [--json] [--app <url>] [--key <function key>]
          refunds demo    [--orders N] [--timeout <seconds>] [--app <url>] [--simulator <url>] [--storage <conn>] [--queue <name>]

        refund fields: [--charge ch_… --amount <fen>] [--refund-mode to_source|to_balance]
                       [--funding-source unsettled_funds|recharge_funds] [--request-id <id>] [--metadata k=v …]

        defaults: --app http://127.0.0.1:7071, --simulator http://127.0.0.1:7080, --key from REFUNDS_KEY (else KEY),
                  --storage from AzureWebJobsStorage (else UseDevelopmentStorage=true), --queue from RefundRequestsQueue
                  (else refund-requests). Without --request-id a new id is generated and printed: retrying with it is safe.
        exit codes: 0 done, 1 failed or not finished, 2 invalid arguments or refund request (nothing sent).
        """;

    /// <summary>Runs one command; output goes to <paramref name="stdout"/>/<paramref name="stderr"/> only (no redrawing progress line).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
        => RunAsync(args, new CliConsole(stdout, stderr, Interactive: false), cancellationToken);

    internal static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? console.Err : console.Out).WriteLine(Usage);
            return args.Length == 0 ? ExitCodes.Invalid : ExitCodes.Ok;
        }

        var rest = args[1..];
        if (rest.Contains("--help") || rest.Contains("-h"))
        {
            console.Out.WriteLine(Usage);
            return ExitCodes.Ok;
        }

        try
        {
            using var http = CreateHttpClient();
            return args[0] switch
            {
                "enqueue" => await EnqueueAsync(rest, console, ct).ConfigureAwait(false),
                "submit" => await SubmitAsync(rest, console, http, ct).ConfigureAwait(false),
                "show" => await ShowAsync(rest, console, http, ct).ConfigureAwait(false),
                "demo" => await new DemoCommand(console, http).RunAsync(rest, ct).ConfigureAwait(false),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
        }
        catch (UsageException ex)
        {
            console.Err.WriteLine($"refunds: {ex.Message} (see refunds --help)");
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
    }

    private static readonly HashSet<string> StorageOptions = new(StringComparer.Ordinal) { "--storage", "--queue" };
    private static readonly HashSet<string> AppOptions = new(StringComparer.Ordinal) { "--app", "--key" };
    private static readonly HashSet<string> Repeatable = new(StringComparer.Ordinal) { RefundArguments.MetadataOption };

    private static async Task<int> EnqueueAsync(string[] args, CliConsole console, CancellationToken ct)
    {
        var parsed = CommandLineArguments.Parse(args, [.. RefundArguments.ValueOptions, .. StorageOptions], [], Repeatable);
        NoPositionals(parsed, "enqueue");
        var fields = RefundArguments.From(parsed, parsed.Value("--order"));
        var requestId = fields.RequestId ?? RefundArguments.NewRequestId();
        var validated = fields.ValidateAsQueueMessage(requestId);
        if (validated.Request is null)
        {
            RefundArguments.WriteReasons(console.Err, validated.Reasons);
            return ExitCodes.Invalid;
        }

        var queue = OpenQueue(parsed);
        await queue.SendAsync(validated.Request, ct).ConfigureAwait(false);
        console.Out.WriteLine(validated.Request.RequestId);
        console.Err.WriteLine($"enqueued request {validated.Request.RequestId} for order {validated.Request.OrderId} to queue {queue.Name}; follow it with: refunds show {validated.Request.OrderId}");
        return ExitCodes.Ok;
    }

    private static async Task<int> SubmitAsync(string[] args, CliConsole console, HttpClient http, CancellationToken ct)
    {
        var parsed = CommandLineArguments.Parse(args, [.. RefundArguments.ValueOptions, .. AppOptions], [], Repeatable);
        var orderId = OrderArgument(parsed, "submit");
        var fields = RefundArguments.From(parsed, orderId);
        var requestId = fields.RequestId ?? RefundArguments.NewRequestId();
        var validated = fields.ValidateAsHttpBody(orderId, requestId);
        if (validated.Request is null)
        {
            RefundArguments.WriteReasons(console.Err, validated.Reasons);
            return ExitCodes.Invalid;
        }

        var api = OpenApi(parsed, http);
        var outcome = await SubmitAsync(api, validated.Request, ct).ConfigureAwait(false);
        switch (outcome)
        {
            case SubmitOutcome.Accepted accepted:
                console.Out.WriteLine(accepted.RequestId);
                // 202: new; 200: the app already had this request id with the same parameters (a safe resend).
                console.Err.WriteLine($"{(accepted.Code == 202 ? "accepted" : "already known")} ({accepted.Code}{(accepted.State is { } st ? ", " + st : "")}): request {accepted.RequestId} for order {orderId}"
                    + (accepted.Location is { } l ? $"; status at {l}" : "")
                    + $"; resending with --request-id {accepted.RequestId} is safe; follow it with: refunds show {orderId}");
                return ExitCodes.Ok;
            case SubmitOutcome.Rejected rejected:
                console.Err.WriteLine($"the app rejected the request ({(int)rejected.Status}); nothing was enqueued:");
                foreach (var reason in rejected.Reasons)
                {
                    console.Err.WriteLine("  " + reason);
                }

                return ExitCodes.Invalid;
            case SubmitOutcome.Failed failed:
                console.Err.WriteLine($"refunds: {failed.Message}");
                return ExitCodes.Failed;
            default:
                throw new InvalidOperationException("unknown outcome");
        }
    }

    /// <summary>One POST with the request id as the Idempotency-Key; shared by <c>submit</c> and the demo.</summary>
    internal static async Task<SubmitOutcome> SubmitAsync(RefundsApiClient api, RefundRequest request, CancellationToken ct)
    {
        var answer = await api.SubmitAsync(request.OrderId, request.RequestId, RefundArguments.HttpBody(request), ct).ConfigureAwait(false);
        var code = (int)answer.Status;
        if (code is >= 200 and < 300)
        {
            var (id, state) = AcceptedAnswer(answer.Body);
            return new SubmitOutcome.Accepted(id ?? request.RequestId, answer.Location, code, state);
        }

        if (code is 400 or 422)
        {
            return new SubmitOutcome.Rejected(answer.Status, RefundsApiClient.Reasons(answer.Body));
        }

        var reasons = string.Join("; ", RefundsApiClient.Reasons(answer.Body));
        var detail = reasons.Length > 0 ? $": {reasons}" : "";
        return new SubmitOutcome.Failed(code switch
        {
            401 or 403 => $"the function app refused the call ({code}){detail}; pass its function key with --key, {FunctionKeyVariable} or {FallbackKeyVariable}",
            >= 500 => $"the function app answered {code}{detail}; the request may or may not be recorded: resend with --request-id {request.RequestId} (safe)",
            _ => $"the function app answered {code}{detail}",
        });
    }

    private static async Task<int> ShowAsync(string[] args, CliConsole console, HttpClient http, CancellationToken ct)
    {
        var parsed = CommandLineArguments.Parse(args, [.. AppOptions, "--source"], ["--json"]);
        var orderId = OrderArgument(parsed, "show");
        var source = parsed.Value("--source");
        if (source is not (null or "pingpp" or "ledger"))
        {
            throw new UsageException($"--source must be pingpp (live from Ping++) or ledger (the default), not '{source}'");
        }

        var api = OpenApi(parsed, http);
        var answer = await api.ListAsync(orderId, source == "pingpp", ct).ConfigureAwait(false);
        var code = (int)answer.Status;
        if (code is < 200 or >= 300)
        {
            var reasons = string.Join("; ", RefundsApiClient.Reasons(answer.Body));
            console.Err.WriteLine(code switch
            {
                404 => $"refunds: order {orderId}: nothing known (404){(reasons.Length > 0 ? ": " + reasons : "")}",
                401 or 403 => $"refunds: the function app refused the call ({code}); pass its function key with --key, {FunctionKeyVariable} or {FallbackKeyVariable}",
                _ => $"refunds: the function app answered {code}{(reasons.Length > 0 ? ": " + reasons : "")}",
            });
            return ExitCodes.Failed;
        }

        if (parsed.Flag("--json"))
        {
            console.Out.WriteLine(answer.Body);
            return ExitCodes.Ok;
        }

        IReadOnlyList<RefundRow> rows;
        try
        {
            rows = LedgerView.Read(answer.Body);
        }
        catch (System.Text.Json.JsonException)
        {
            throw new CliException($"the function app answered {code} with a body that is not JSON; see it with --json");
        }

        console.Out.WriteLine($"order {orderId} — {(source == "pingpp" ? "live from Ping++" : "the app's ledger")}");
        if (rows.Count == 0)
        {
            console.Out.WriteLine("no refunds");
        }
        else
        {
            LedgerView.WriteTable(console.Out, rows);
        }

        return ExitCodes.Ok;
    }

    private static string OrderArgument(CommandLineArguments parsed, string command)
    {
        var order = parsed.Value("--order");
        return (parsed.Positionals.Count, order) switch
        {
            (0, null) => throw new UsageException($"{command} needs an order id: refunds {command} <orderId>"),
            (0, { } o) => o,
            (1, null) => parsed.Positionals[0],
            _ => throw new UsageException($"{command} takes one order id"),
        };
    }

    private static void NoPositionals(CommandLineArguments parsed, string command)
    {
        if (parsed.Positionals.Count > 0)
        {
            throw new UsageException($"{command} takes no positional argument ('{parsed.Positionals[0]}'); use --order <id>");
        }
    }

    internal static RefundsApiClient OpenApi(CommandLineArguments parsed, HttpClient http)
        => new(http, parsed.Url("--app", DefaultApp), parsed.Value("--key") ?? KeyFromEnvironment());

    /// <summary>REFUNDS_KEY, else KEY; null when neither is set (the app then answers 401, explained on stderr).</summary>
    internal static string? KeyFromEnvironment()
        => new[] { FunctionKeyVariable, FallbackKeyVariable }.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    internal static RequestQueue OpenQueue(CommandLineArguments parsed)
    {
        var connectionString = parsed.Value("--storage")
            ?? (Environment.GetEnvironmentVariable("AzureWebJobsStorage") is { Length: > 0 } fromEnv ? fromEnv : "UseDevelopmentStorage=true");
        var queueName = parsed.Value("--queue")
            ?? (Environment.GetEnvironmentVariable(SettingNames.RefundRequestsQueue) is { Length: > 0 } name ? name : StorageNames.DefaultRefundRequestsQueue);
        return RequestQueue.Open(connectionString, queueName);
    }

    private static HttpClient CreateHttpClient()
        => new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) }) { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The app answers <c>{"request_id":…,"status":…}</c>.</summary>
    private static (string? RequestId, string? State) AcceptedAnswer(string body)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            var root = doc.RootElement;
            string? Get(string name)
                => root.ValueKind == System.Text.Json.JsonValueKind.Object && root.TryGetProperty(name, out var v)
                   && v.ValueKind == System.Text.Json.JsonValueKind.String
                    ? v.GetString()
                    : null;
            return (Get(RefundRequestFields.RequestId), Get("status"));
        }
        catch (System.Text.Json.JsonException)
        {
            return (null, null);
        }
    }
}

/// <summary>Where output goes, and whether a progress line may redraw itself (a terminal) or must print new lines.</summary>
internal sealed record CliConsole(TextWriter Out, TextWriter Err, bool Interactive);

/// <summary>What became of one <c>POST /api/orders/{orderId}/refunds</c>.</summary>
internal abstract record SubmitOutcome
{
    public sealed record Accepted(string RequestId, Uri? Location, int Code, string? State) : SubmitOutcome;

    public sealed record Rejected(System.Net.HttpStatusCode Status, IReadOnlyList<string> Reasons) : SubmitOutcome;

    public sealed record Failed(string Message) : SubmitOutcome;
}

/// <summary>The refund request queue as the CLI uses it: the app's own sender, with storage errors turned into one line.</summary>
internal sealed class RequestQueue
{
    private readonly RefundRequestQueue _queue;
    private readonly Uri _endpoint;

    private RequestQueue(RefundRequestQueue queue, Uri endpoint)
    {
        _queue = queue;
        _endpoint = endpoint;
    }

    public string Name => _queue.QueueName;

    public static RequestQueue Open(string connectionString, string queueName)
    {
        var options = new QueueClientOptions();
        // Fail in seconds when storage is down instead of the SDK's long default back-off.
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(300);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        QueueServiceClient service;
        try
        {
            service = new QueueServiceClient(connectionString, options);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            // Never echo the value: it may hold an account key.
            throw new UsageException("--storage (or AzureWebJobsStorage) is not a storage connection string with a queue endpoint");
        }

        return new RequestQueue(new RefundRequestQueue(service, queueName), service.Uri);
    }

    public async Task SendAsync(RefundRequest request, CancellationToken ct)
    {
        try
        {
            await _queue.EnqueueAsync(request, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && Unreachable.IsConnectionFailure(ex))
        {
            throw Unreachable.Error("the storage queue service", _endpoint, ex);
        }
        catch (RequestFailedException ex)
        {
            throw new CliException($"the queue service at {_endpoint.GetLeftPart(UriPartial.Path)} refused queue '{Name}': {ex.Status} {ex.ErrorCode}");
        }
    }
}
