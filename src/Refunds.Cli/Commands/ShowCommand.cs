using System.CommandLine;

namespace Refunds.Cli.Commands;

/// <summary><c>refunds show</c>: an order's refunds as a table, from the app's ledger or live from Ping++.</summary>
internal static class ShowCommand
{
    public const string Details = """
        Show an order's refund requests and refunds as a table: request id, state, refund ids, amount, Ping++
        status, failure, last update. Exits 3 when the app knows nothing of the order (404), 5 when it refuses the key.
        --source pingpp is an operator action: it calls the app's admin route (GET /api/manage/pingpp/orders/{id}/refunds)
        and needs the app's admin (master) key in --key; it reads at most PingppLiveView__MaxPages pages of Ping++'s list.

        Examples:
          dotnet refunds show 2011708070000007521
          dotnet refunds show 2011708070000007521 --source pingpp --key "$MASTER_KEY"
          dotnet refunds show 2011708070000007521 --json
        """;

    public static Command Create(CliConsole console, Func<HttpClient> http)
    {
        var order = new OrderInput();
        var app = new AppOptions();
        var source = new Option<string>("--source")
        {
            Description = "ledger (the app's records, default) or pingpp (live from Ping++; needs the admin key)",
            HelpName = "ledger|pingpp",
        };
        source.AcceptOnlyFromAmong("ledger", "pingpp");
        var json = new Option<bool>("--json") { Description = "print the app's answer as it is (JSON)" };
        var command = new Command("show", "Show an order's refunds: the app's ledger, or live from Ping++.");
        order.AddTo(command);
        command.Options.Add(source);
        command.Options.Add(json);
        app.AddTo(command);
        command.SetAction(async (parsed, ct) =>
        {
            var orderId = order.Get(parsed);
            var live = parsed.GetValue(source) == "pingpp";
            var answer = await app.Open(parsed, console, http()).ListAsync(orderId, live, ct).ConfigureAwait(false);
            var code = (int)answer.Status;
            if (code is < 200 or >= 300)
            {
                var reasons = string.Join("; ", RefundsApiClient.Reasons(answer.Body));
                console.Err.WriteLine(code switch
                {
                    404 => $"refunds: order {orderId}: nothing known (404){(reasons.Length > 0 ? ": " + reasons : "")}",
                    401 or 403 => "refunds: " + KeyRefusal.Message(code, live ? " (the live Ping++ view is an operator action: pass the admin (master) key)" : ""),
                    _ => $"refunds: the function app answered {code}{(reasons.Length > 0 ? ": " + reasons : "")}",
                });
                return code switch
                {
                    404 => ExitCodes.NotFound,
                    401 or 403 => ExitCodes.KeyRefused,
                    _ => ExitCodes.Failed,
                };
            }

            if (parsed.GetValue(json))
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

            console.Out.WriteLine($"order {orderId} — {(live ? "live from Ping++" : "the app's ledger")}");
            if (live && LedgerView.StoppedReason(answer.Body) is { } stopped)
            {
                console.Out.WriteLine("incomplete: " + stopped);
            }

            if (rows.Count == 0)
            {
                console.Out.WriteLine("no refunds");
            }
            else
            {
                console.Write(LedgerView.Table(rows));
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
