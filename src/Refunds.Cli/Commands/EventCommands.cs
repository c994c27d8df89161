using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace Refunds.Cli.Commands;

/// <summary>
/// The webhook event log: <c>refunds events</c> (stored events by type and time), <c>refunds event &lt;id&gt;</c> (one,
/// raw and re-verified), <c>refunds reapply &lt;id&gt; --reason …</c> (apply it again, recorded with who and why).
/// </summary>
internal static class EventCommands
{
    public const string EventsDetails = """
        List the verified Ping++ events the app stored (GET /api/manage/webhook-events), newest first by the time they
        were received: event id, type, received (UTC), apply status (applied, pending = stored but not applied yet,
        ignored = refused or nothing to apply), what it was applied as, order and refund. Needs the master key.

        Examples:
          dotnet refunds events
          dotnet refunds events --type refund.succeeded --since 2026-12-06T00:00:00+08:00
          dotnet refunds events --status pending
        """;

    public const string EventDetails = """
        Show one stored event (GET /api/manage/webhook-events/<eventId>): its apply status, whether its stored
        signature verifies now with the app's configured Ping++ public keys, the operators' re-applies, and the raw
        body exactly as received. The signature itself is never shown. Exits 3 for an unknown id.

        Examples:
          dotnet refunds event evt_401170807000000752100001
          dotnet refunds event evt_401170807000000752100001 --json
        """;

    public const string ReapplyDetails = """
        Apply a stored event again (POST /api/manage/webhook-events/<eventId>/reapply): the app runs the stored bytes
        and signature through its webhook receiver as a redelivery, so an event already applied changes nothing (and
        says so). The reason and your identity (the key's name) are recorded with the event. Exits 4 when the event
        cannot be applied (refused: another mode or app; or its signature no longer verifies), 3 for an unknown id.

        Examples:
          dotnet refunds reapply evt_401170807000000752100001 --reason "ledger restored from backup"
        """;

    public static Command Events(CliConsole console, Func<HttpClient> http)
    {
        var app = new AppOptions(operatorRoutes: true);
        var list = new ListOptions();
        var type = new Option<string>("--type") { Description = "one event type, e.g. refund.succeeded", HelpName = "type" };
        var status = new Option<string>("--status") { Description = "applied, pending or ignored", HelpName = "status" };
        status.AcceptOnlyFromAmong("applied", "pending", "ignored");
        var command = new Command("events", "List stored webhook events by type and time, with their apply status.") { type, status };
        list.AddTo(command);
        app.AddTo(command);
        command.SetAction(async (parsed, ct) =>
        {
            var query = QueryString.Of([("type", parsed.GetValue(type)), ("apply_status", parsed.GetValue(status)), .. list.Parameters(parsed)]);
            var answer = await app.Open(parsed, console, http()).GetAsync("manage/webhook-events" + query, ct).ConfigureAwait(false);
            return OperatorAnswers.WritePage(
                console, answer, "listing webhook events", parsed.GetValue(list.Json),
                CliTable.Create("EVENT ID", "TYPE", "RECEIVED (UTC)", "APPLY STATUS", "APPLIED AS", "ORDER", "REFUND"),
                (table, e) => table.Row(e.Str("event_id"), e.Str("type"), e.Time("received_at"), e.Str("apply_status"), e.Str("applied_as"), e.Str("order_id"), e.Str("refund_id")),
                "no stored events match",
                "events");
        });
        return command;
    }

    public static Command Event(CliConsole console, Func<HttpClient> http)
    {
        var app = new AppOptions(operatorRoutes: true);
        var id = new Argument<string>("eventId") { Description = "the Ping++ event id (evt_…)" };
        var json = new Option<bool>("--json") { Description = "print the app's answer as it is (JSON)" };
        var command = new Command("event", "Show one stored webhook event: raw, re-verified, with its apply status.") { id, json };
        app.AddTo(command);
        command.SetAction(async (parsed, ct) =>
        {
            var eventId = parsed.GetValue(id)!;
            var answer = await app.Open(parsed, console, http()).GetAsync($"manage/webhook-events/{Uri.EscapeDataString(eventId)}", ct).ConfigureAwait(false);
            var e = OperatorAnswers.Require(answer, $"event {eventId}");
            if (parsed.GetValue(json))
            {
                console.Out.WriteLine(answer.Body);
                return ExitCodes.Ok;
            }

            var facts = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
            foreach (var (label, value) in new[]
            {
                ("event id", e.Str("event_id")), ("type", e.Str("type")), ("livemode", e.Str("livemode")),
                ("received (UTC)", e.Time("received_at")), ("apply status", e.Str("apply_status")), ("applied as", e.Str("applied_as")),
                ("applied at (UTC)", e.Time("applied_at")), ("order", e.Str("order_id")), ("refund", e.Str("refund_id")),
                ("refused", e.Str("refused_reason")),
                ("signature", e.Str("signature_verified") == "true" ? "verified now with the configured Ping++ public key" : "does NOT verify with the configured keys (or unsigned)"),
            })
            {
                if (value is not null)
                {
                    facts.AddRow(new Text(label), new Text(value));
                }
            }

            console.Write(facts);
            var reapplies = e.Items("reapplies").ToList();
            if (reapplies.Count > 0)
            {
                console.Out.WriteLine();
                console.Out.WriteLine("re-applied by operators:");
                var table = CliTable.Create("AT (UTC)", "BY", "RESULT", "REASON");
                foreach (var r in reapplies)
                {
                    table.Row(r.Time("at"), r.Str("actor"), r.Str("result"), r.Str("reason"));
                }

                console.Write(table);
            }

            console.Out.WriteLine();
            console.Out.WriteLine("raw body:");
            console.Out.WriteLine(e.Str("raw_body"));
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Reapply(CliConsole console, Func<HttpClient> http)
    {
        var app = new AppOptions(operatorRoutes: true);
        var id = new Argument<string>("eventId") { Description = "the Ping++ event id (evt_…)" };
        var reason = new Option<string>("--reason") { Description = "why (recorded with the event and your identity)", HelpName = "text", Required = true };
        var command = new Command("reapply", "Apply a stored webhook event again (idempotent), recorded with who and why.") { id, reason };
        app.AddTo(command);
        command.SetAction(async (parsed, ct) =>
        {
            var eventId = parsed.GetValue(id)!;
            var answer = await app.Open(parsed, console, http())
                .PostJsonAsync($"manage/webhook-events/{Uri.EscapeDataString(eventId)}/reapply", new Dictionary<string, string> { ["reason"] = parsed.GetValue(reason)! }, ct)
                .ConfigureAwait(false);
            var result = OperatorAnswers.Require(answer, $"re-applying event {eventId}");
            console.Out.WriteLine(result.Str("result") switch
            {
                "applied" => $"event {eventId}: applied now as {result.Str("applied_as") ?? "?"}{(result.Str("ledger_changed") == "true" ? " (the ledger changed)" : " (the ledger already had it)")}",
                "already_applied" => $"event {eventId}: already applied as {result.Str("applied_as") ?? "?"}; nothing changed",
                "nothing_to_apply" => $"event {eventId}: nothing to apply for its type; nothing changed",
                var other => $"event {eventId}: {other ?? "done"} ({result.Str("apply_status")})",
            });
            console.Err.WriteLine($"recorded as {result.Str("reapplied_by") ?? "you"}, with your reason");
            return ExitCodes.Ok;
        });
        return command;
    }
}
