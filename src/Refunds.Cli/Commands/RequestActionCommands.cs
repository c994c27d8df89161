using System.CommandLine;
using System.Text.Json;

namespace Refunds.Cli.Commands;

/// <summary>
/// <c>refunds requeue|approve|deny|cancel &lt;requestId&gt; [--reason …]</c>: one operator action on one refund
/// request (POST /api/manage/refund-requests/&lt;id&gt;/&lt;action&gt;), recorded in its history with who and why.
/// </summary>
internal static class RequestActionCommands
{
    public const string Details = """
        Act on one refund request (POST /api/manage/refund-requests/<requestId>/<action>); the request's history
        records the action, your identity (the key's name) and the reason. Prints the request's state afterwards.
          requeue   a dead-lettered request goes back to the queue with its own id (reason optional)
          approve   a request waiting for approval (over a limit) is let through (reason optional)
          deny      a request waiting for approval is ended, never sent to Ping++ (reason required)
          cancel    a request that has not reached Ping++ is ended (reason required)
        Exits 4 when the action does not apply in the request's state (nothing changed), 3 for an unknown id.

        Examples:
          dotnet refunds requeue erp-2026-000123
          dotnet refunds approve erp-2026-000124 --reason "confirmed with the customer"
          dotnet refunds deny erp-2026-000125 --reason "duplicate of erp-2026-000124"
        """;

    /// <summary>The four commands, each with its own reason rule.</summary>
    public static IEnumerable<Command> Create(CliConsole console, Func<HttpClient> http)
    {
        yield return Action(console, http, "requeue", "Send a dead-lettered refund request back to the queue.", reasonRequired: false);
        yield return Action(console, http, "approve", "Approve a refund request waiting for approval.", reasonRequired: false);
        yield return Action(console, http, "deny", "Deny a refund request waiting for approval (it is never sent).", reasonRequired: true);
        yield return Action(console, http, "cancel", "Cancel a refund request that has not reached Ping++.", reasonRequired: true);
    }

    private static Command Action(CliConsole console, Func<HttpClient> http, string action, string description, bool reasonRequired)
    {
        var app = new AppOptions(operatorRoutes: true);
        var id = new Argument<string>("requestId") { Description = "the refund request id" };
        var reason = new Option<string>("--reason") { Description = $"why ({(reasonRequired ? "required" : "optional")}; recorded in the request's history)", HelpName = "text", Required = reasonRequired };
        var command = new Command(action, description) { id, reason };
        app.AddTo(command);
        command.SetAction(async (parsed, ct) =>
        {
            var requestId = parsed.GetValue(id)!;
            var body = parsed.GetValue(reason) is { } text ? new Dictionary<string, string> { ["reason"] = text } : new Dictionary<string, string>();
            var answer = await app.Open(parsed, console, http())
                .PostJsonAsync($"manage/refund-requests/{Uri.EscapeDataString(requestId)}/{action}", body, ct)
                .ConfigureAwait(false);
            var view = OperatorAnswers.Require(answer, $"{action} {requestId}");
            console.Out.WriteLine($"request {requestId}: {StateOf(view) ?? "done"}");
            var history = view.Items("history").ToList();
            if (history.Count > 0)
            {
                var table = CliTable.Create("AT (UTC)", "FROM", "TO", "BY", "REASON");
                foreach (var h in history)
                {
                    table.Row(h.Time("at"), h.Str("from"), h.Str("to"), h.Str("actor"), h.Str("reason"));
                }

                console.Write(table);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The request view's <c>status</c>; the requeue route before issue 23 answered <c>{"requeued":[{"status"}]}</c>.</summary>
    private static string? StateOf(JsonElement view)
        => view.Str("status") ?? view.Items("requeued").Select(r => r.Str("status")).FirstOrDefault();
}
