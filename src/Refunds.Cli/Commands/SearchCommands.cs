using System.CommandLine;

namespace Refunds.Cli.Commands;

/// <summary><c>refunds search [filters]</c> (a table, paged) and <c>refunds export [filters] --out file.csv</c> (every match as CSV).</summary>
internal static class SearchCommands
{
    public const string SearchDetails = """
        Search refund requests across all orders (GET /api/manage/refund-requests), newest first: by order, request,
        refund or charge id, status, amount range (fen) and creation time. No filter at all = the last 30 days.
        Needs the master key.

        Examples:
          dotnet refunds search --order 2011708070000007521
          dotnet refunds search --status failed,dead_lettered --since 2026-12-01T00:00:00+08:00
          dotnet refunds search --min-amount 100000
        """;

    public const string ExportDetails = """
        Export every refund request a search matches as CSV (GET /api/manage/export/refund-requests.csv), written to
        --out byte for byte as the app serves it: UTF-8 with a BOM (so Excel shows Chinese descriptions), amounts in
        fen and yuan. The app refuses more than 100,000 rows (exit 2): narrow the search.

        Examples:
          dotnet refunds export --since 2026-12-01T00:00:00+08:00 --until 2026-12-08T00:00:00+08:00 --out refunds-week49.csv
        """;

    public static Command Search(CliConsole console, Func<HttpClient> http)
    {
        var app = new AppOptions(operatorRoutes: true);
        var filters = new SearchFilters();
        var list = new ListOptions(timeWindow: false);
        var command = new Command("search", "Search refund requests by id, status, amount and time.");
        filters.AddTo(command);
        list.AddTo(command);
        app.AddTo(command);
        command.SetAction(async (parsed, ct) =>
        {
            var query = QueryString.Of([.. filters.Parameters(parsed), .. list.Parameters(parsed)]);
            var answer = await app.Open(parsed, console, http()).GetAsync("manage/refund-requests" + query, ct).ConfigureAwait(false);
            return OperatorAnswers.WritePage(
                console, answer, "searching refund requests", parsed.GetValue(list.Json),
                CliTable.Create("REQUEST ID", "ORDER", "STATUS", "AMOUNT>", "CHARGE", "REFUND IDS", "CREATED (UTC)", "BY", "DESCRIPTION"),
                (table, r) => table.Row(r.Str("request_id"), r.Str("order_id"), r.Str("status"), r.Str("amount"), r.Str("charge"), r.Str("refund_ids"), r.Time("created_at"), r.Str("submitted_by"), r.Str("description")),
                "no refund requests match",
                "search");
        });
        return command;
    }

    public static Command Export(CliConsole console, Func<HttpClient> http)
    {
        var app = new AppOptions(operatorRoutes: true);
        var filters = new SearchFilters();
        var output = new Option<FileInfo>("--out") { Description = "the CSV file to write (replaced if it exists)", HelpName = "file.csv", Required = true };
        var command = new Command("export", "Export the refund requests a search matches as CSV (UTF-8 with BOM).") { output };
        filters.AddTo(command);
        app.AddTo(command);
        command.SetAction(async (parsed, ct) =>
        {
            var target = parsed.GetValue(output)!;
            var partial = target.FullName + ".partial";
            ApiAnswer answer;
            long bytes;
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write))
            {
                answer = await app.Open(parsed, console, http()).DownloadAsync("manage/export/refund-requests.csv" + QueryString.Of(filters.Parameters(parsed)), file, ct).ConfigureAwait(false);
                bytes = file.Length;
            }

            if ((int)answer.Status is < 200 or >= 300)
            {
                File.Delete(partial);
                OperatorAnswers.Fail(answer, "exporting refund requests");
            }

            File.Move(partial, target.FullName, overwrite: true);
            var rows = Math.Max(0, File.ReadLines(target.FullName).Count() - 1);
            console.Err.WriteLine($"wrote {rows} refund request(s), {bytes} bytes, to {target.FullName}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The search filters of the contract, as options.</summary>
    private sealed class SearchFilters
    {
        private readonly Option<string> _order = new("--order") { Description = "the Ping++ order id", HelpName = "id" };
        private readonly Option<string> _request = new("--request") { Description = "the refund request id", HelpName = "id" };
        private readonly Option<string> _refund = new("--refund") { Description = "a Ping++ refund id (re_…)", HelpName = "id" };
        private readonly Option<string> _charge = new("--charge") { Description = "a Ping++ charge id (ch_…)", HelpName = "id" };
        private readonly Option<string> _status = new("--status") { Description = "states, comma-separated (e.g. failed,dead_lettered)", HelpName = "states" };
        private readonly Option<long?> _min = new("--min-amount") { Description = "at least this amount (fen)", HelpName = "fen" };
        private readonly Option<long?> _max = new("--max-amount") { Description = "at most this amount (fen)", HelpName = "fen" };
        private readonly Option<string> _since = new("--since") { Description = "created from this time on (ISO 8601 with an offset)", HelpName = "time" };
        private readonly Option<string> _until = new("--until") { Description = "created before this time (exclusive)", HelpName = "time" };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { _order, _request, _refund, _charge, _status, _min, _max, _since, _until })
            {
                command.Options.Add(option);
            }
        }

        public IEnumerable<(string Name, string? Value)> Parameters(ParseResult parsed) =>
        [
            ("order_id", parsed.GetValue(_order)),
            ("request_id", parsed.GetValue(_request)),
            ("refund_id", parsed.GetValue(_refund)),
            ("charge_id", parsed.GetValue(_charge)),
            ("status", parsed.GetValue(_status)),
            ("min_amount", parsed.GetValue(_min)?.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("max_amount", parsed.GetValue(_max)?.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("since", parsed.GetValue(_since)),
            ("until", parsed.GetValue(_until)),
        ];
    }
}
