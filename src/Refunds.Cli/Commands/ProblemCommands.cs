using System.CommandLine;

namespace Refunds.Cli.Commands;

/// <summary><c>refunds problems</c> (everything that needs a person) and <c>refunds review &lt;kind&gt; &lt;id&gt; --note …</c>.</summary>
internal static class ProblemCommands
{
    public const string Kinds = "dead_lettered, rejected, failed, stuck, awaiting_approval, needs_review, discrepancy, abnormal_payment, unplaced_refund, unapplied_webhook";

    public const string ProblemsDetails = $"""
        List what needs a person (GET /api/manage/problems), newest first: kind, id, order, amount, state, since
        when, what happened, and the actions that apply (requeue, approve, deny, cancel, review, reapply).
        Kinds: {Kinds}. Reviewed problems are left out unless --include-reviewed. Needs the master key.

        Examples:
          dotnet refunds problems
          dotnet refunds problems --kind dead_lettered,awaiting_approval --since 2026-12-01T00:00:00+08:00
        """;

    public const string ReviewDetails = """
        Mark a problem reviewed with a note (POST /api/manage/problems/<kind>/<id>/review); it then leaves the default
        problems list. Your identity (the key's name) is recorded with the note. Exits 3 for an unknown problem.

        Examples:
          dotnet refunds review discrepancy 2011708070000007521 --note "checked with finance: Ping++ is right"
        """;

    public static Command Problems(CliConsole console, Func<HttpClient> http)
    {
        var app = new AppOptions(operatorRoutes: true);
        var list = new ListOptions();
        var kind = new Option<string[]>("--kind") { Description = "only these kinds (comma-separated or repeated)", HelpName = "kind", AllowMultipleArgumentsPerToken = true };
        var reviewed = new Option<bool>("--include-reviewed") { Description = "also the problems already marked reviewed" };
        var command = new Command("problems", "List what needs a person: failed, stuck, waiting, unapplied … with the actions that apply.") { kind, reviewed };
        list.AddTo(command);
        app.AddTo(command);
        command.SetAction(async (parsed, ct) =>
        {
            var kinds = string.Join(",", (parsed.GetValue(kind) ?? []).SelectMany(k => k.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
            var query = QueryString.Of([("kind", kinds), ("include_reviewed", parsed.GetValue(reviewed) ? "true" : null), .. list.Parameters(parsed)]);
            var answer = await app.Open(parsed, console, http()).GetAsync("manage/problems" + query, ct).ConfigureAwait(false);
            return OperatorAnswers.WritePage(
                console, answer, "listing problems", parsed.GetValue(list.Json),
                CliTable.Create("KIND", "ID", "ORDER", "AMOUNT>", "STATE", "SINCE (UTC)", "SUMMARY", "ACTIONS", "REVIEWED"),
                (table, p) => table.Row(
                    p.Str("kind"), p.Str("id"), p.Str("order_id"), p.Str("amount"), p.Str("state"), p.Time("since"), p.Str("summary"), p.Str("actions"),
                    p.TryGetProperty("reviewed", out var r) && r.ValueKind == System.Text.Json.JsonValueKind.Object ? $"{r.Str("by")}: {r.Str("note")}" : null),
                "no problems",
                "problems");
        });
        return command;
    }

    public static Command Review(CliConsole console, Func<HttpClient> http)
    {
        var app = new AppOptions(operatorRoutes: true);
        var kind = new Argument<string>("kind") { Description = "the problem's kind (as listed by refunds problems)", HelpName = "kind" };
        kind.AcceptOnlyFromAmong([.. Kinds.Split(", ")]);
        var id = new Argument<string>("id") { Description = "the problem's id (as listed by refunds problems)" };
        var note = new Option<string>("--note") { Description = "what you found or did (recorded with your identity)", HelpName = "text", Required = true };
        var command = new Command("review", "Mark a problem reviewed, with a note.") { kind, id, note };
        app.AddTo(command);
        command.SetAction(async (parsed, ct) =>
        {
            var (k, i) = (parsed.GetValue(kind)!, parsed.GetValue(id)!);
            var answer = await app.Open(parsed, console, http())
                .PostJsonAsync($"manage/problems/{Uri.EscapeDataString(k)}/{Uri.EscapeDataString(i)}/review", new Dictionary<string, string> { ["note"] = parsed.GetValue(note)! }, ct)
                .ConfigureAwait(false);
            var problem = OperatorAnswers.Require(answer, $"reviewing {k} {i}");
            var reviewed = problem.TryGetProperty("reviewed", out var r) ? r : default;
            console.Out.WriteLine($"{k} {i}: reviewed by {reviewed.Str("by") ?? "you"} at {reviewed.Time("at") ?? "now"} (UTC)");
            return ExitCodes.Ok;
        });
        return command;
    }
}
