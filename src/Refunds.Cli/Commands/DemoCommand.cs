using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Refunds.Core.Configuration;
using Refunds.Core.Refunds;
using Spectre.Console;

namespace Refunds.Cli.Commands;

/// <summary>
/// <c>refunds demo</c>: seeds orders at the simulator (ordinary ones plus the guide's two abnormal cases), refunds the
/// ordinary ones, half through the queue and half through the HTTP API, and follows the app's ledger until every
/// request is terminal or the timeout passes; then checks at the simulator that each request made exactly one refund.
/// </summary>
internal sealed class DemoCommand(CliConsole console)
{
    public const string DefaultSimulator = "http://127.0.0.1:7080";
    public static readonly string[] SimulatorVariables = ["REFUNDS_SIMULATOR", "SIM"];

    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan QuietLineInterval = TimeSpan.FromSeconds(10);

    /// <summary>One refund the demo asked for, and what the app's ledger last said about it.</summary>
    private sealed class Tracked(SeededOrder order, RefundRequest request, string via)
    {
        public SeededOrder Order { get; } = order;
        public RefundRequest Request { get; } = request;
        public string Via { get; } = via;
        public bool Submitted { get; set; }
        public string? SubmitError { get; set; }
        /// <summary>Written by one poll task per order; read after they have all finished.</summary>
        public RefundRow? Row { get; set; }
        public bool Terminal => Row?.IsTerminal == true;
    }

    private sealed record Abnormal(SeededOrder Order, string Case, AnomalyKind Kind);

    public const string Details = """
        The guided demo, against a local run (./scripts/run-local.sh; ./scripts/run-local.sh --demo runs it for you):
          1. seeds N ordinary paid orders at the Ping++ simulator, plus the guide's two abnormal cases (an order
             paid after it was canceled, and one paid on two channels);
          2. refunds the ordinary orders, half through the queue and half through the HTTP API; every third
             refund is a partial refund of one charge;
          3. follows GET /api/orders/<id>/refunds once a second on one progress line
             (submitted · pending · succeeded · failed);
          4. when every request is terminal (or --timeout passes), prints the ledger and checks at the simulator
             that no request made more than one refund;
          5. shows what the app did with the two abnormal orders (Anomalies__Mode: Report, AutoRefund or Off).
        Exits 0 when every request finished with one refund each, 1 otherwise.

        Examples:
          dotnet refunds demo
          dotnet refunds demo --orders 2 --timeout 60
        """;

    public static Command Create(CliConsole console, Func<HttpClient> http)
    {
        var orders = new Option<int>("--orders") { Description = "ordinary orders to seed and refund", DefaultValueFactory = _ => 6, HelpName = "N" };
        orders.Validators.Add(CliUrls.Positive);
        var timeout = new Option<int>("--timeout") { Description = "seconds to wait for every request to be terminal", DefaultValueFactory = _ => 120, HelpName = "seconds" };
        timeout.Validators.Add(CliUrls.Positive);
        var simulator = new Option<string>("--simulator")
        {
            Description = $"the Ping++ simulator's base URL [default: $REFUNDS_SIMULATOR, else $SIM, else {DefaultSimulator}]",
            HelpName = "url",
        };
        var app = new AppOptions();
        var queue = new QueueOptions();
        var command = new Command("demo", "The guided demo: seed orders at the simulator, refund them, follow them to the end.");
        command.Options.Add(orders);
        command.Options.Add(timeout);
        app.AddTo(command);
        command.Options.Add(simulator);
        queue.AddTo(command);
        command.SetAction((parsed, ct) => new DemoCommand(console).RunAsync(
            parsed.GetValue(orders),
            TimeSpan.FromSeconds(parsed.GetValue(timeout)),
            app.Open(parsed, console, http()),
            new SimulatorClient(http(), CliUrls.Parse(simulator.Name, parsed.GetValue(simulator) ?? console.FirstSet(SimulatorVariables) ?? DefaultSimulator)),
            queue.Open(parsed, console),
            ct));
        return command;
    }

    private async Task<int> RunAsync(int orders, TimeSpan timeout, RefundsApiClient api, SimulatorClient simulator, RequestQueue queue, CancellationToken ct)
    {
        var runId = Guid.NewGuid().ToString("N")[..8];

        await api.EnsureReachableAsync(ct).ConfigureAwait(false);
        console.Out.WriteLine($"demo {runId}: function app {api.App}, simulator {simulator.Url}, queue {queue.Name}");

        // 1. Seed. Ordinary orders get one charge; every third one is refunded in part, from its charge.
        var tracked = new List<Tracked>();
        for (var i = 0; i < orders; i++)
        {
            var amount = 1000 + (100 * i);
            var order = await simulator.SeedOrderAsync(amount, [], "paid", ct).ConfigureAwait(false);
            var partial = i % 3 == 2 && order.ChargeIds.Count > 0;
            var request = new RefundRequest
            {
                RequestId = $"demo-{runId}-{i + 1:D3}",
                OrderId = order.Id,
                Description = partial ? "demo: partial refund" : "demo: full refund",
                Charge = partial ? order.ChargeIds[0] : null,
                ChargeAmount = partial ? amount / 2 : null,
                Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["demo_run"] = runId },
            };
            tracked.Add(new Tracked(order, request, i % 2 == 0 ? "queue" : "http"));
        }

        var abnormal = new List<Abnormal>
        {
            new(await simulator.SeedOrderAsync(1200, [], "canceled", ct).ConfigureAwait(false),
                "canceled but paid (1200 paid after cancellation)", AnomalyKind.PaidAfterCancel),
            new(await simulator.SeedOrderAsync(1500, [(1500, "alipay"), (1500, "wx")], "paid", ct).ConfigureAwait(false),
                "paid on two channels (1500 + 1500 for 1500)", AnomalyKind.Overpaid),
        };
        console.Out.WriteLine($"seeded {orders} ordinary orders and 2 abnormal ones at the simulator");

        // 2. Submit: even ones through the queue, odd ones through the HTTP API.
        foreach (var item in tracked)
        {
            if (item.Via == "queue")
            {
                await queue.SendAsync(item.Request, ct).ConfigureAwait(false);
                item.Submitted = true;
                continue;
            }

            switch (await SubmitCommand.SubmitAsync(api, item.Request, ct).ConfigureAwait(false))
            {
                case SubmitOutcome.Accepted:
                    item.Submitted = true;
                    break;
                case SubmitOutcome.Rejected rejected:
                    item.SubmitError = string.Join("; ", rejected.Reasons);
                    break;
                case SubmitOutcome.Failed failed:
                    item.SubmitError = failed.Message;
                    break;
            }
        }

        var viaQueue = tracked.Count(t => t.Via == "queue");
        console.Out.WriteLine($"submitted {viaQueue} through queue {queue.Name} and {tracked.Count - viaQueue} through POST {api.App}api/orders/{{orderId}}/refunds");
        foreach (var item in tracked.Where(t => t.SubmitError is not null))
        {
            console.Err.WriteLine($"  {item.Request.RequestId} (order {item.Order.Id}) was not accepted: {item.SubmitError}");
        }

        // 3. Follow the ledger.
        var finished = await FollowAsync(api, tracked, timeout, ct).ConfigureAwait(false);

        // 4. The ledger, then what Ping++ (the simulator) holds.
        console.Out.WriteLine();
        console.Out.WriteLine("ledger:");
        WriteLedger(tracked);
        var duplicates = await CheckAtSimulatorAsync(simulator, tracked, ct).ConfigureAwait(false);
        await ShowAbnormalAsync(api, simulator, abnormal, ct).ConfigureAwait(false);

        if (!finished || duplicates > 0)
        {
            var open = tracked.Count(t => !t.Terminal);
            console.Err.WriteLine(duplicates > 0
                ? $"refunds: {duplicates} request(s) made more than one refund at Ping++"
                : $"refunds: {open} of {tracked.Count} requests did not finish within {timeout.TotalSeconds:0} s; see .local/logs/ and dotnet refunds show <orderId>");
            return ExitCodes.Failed;
        }

        console.Out.WriteLine($"done: all {tracked.Count} requests are terminal.");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Polls the ledger until every submitted request is terminal or the timeout passes. On a terminal a Spectre.Console
    /// progress bar (terminal requests of all, the counts as its label) redraws in place; otherwise a line is printed
    /// whenever the counts change, or every 10 s.
    /// </summary>
    private async Task<bool> FollowAsync(RefundsApiClient api, List<Tracked> tracked, TimeSpan timeout, CancellationToken ct)
    {
        if (!console.Interactive)
        {
            string? lastCounts = null;
            var lastPrinted = TimeSpan.Zero;
            return await PollAsync(api, tracked, timeout, (counts, elapsed, final) =>
            {
                if (counts != lastCounts || elapsed - lastPrinted >= QuietLineInterval || final)
                {
                    console.Out.WriteLine($"{counts}  {elapsed.TotalSeconds:0} s");
                    lastPrinted = elapsed;
                }

                lastCounts = counts;
            }, ct).ConfigureAwait(false);
        }

        return await console.Screen.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("following the ledger", maxValue: tracked.Count);
                return await PollAsync(api, tracked, timeout, (counts, _, _) =>
                {
                    task.Description = Markup.Escape(counts);
                    task.Value = tracked.Count(t => t.Terminal);
                }, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
    }

    private static async Task<bool> PollAsync(RefundsApiClient api, List<Tracked> tracked, TimeSpan timeout, Action<string, TimeSpan, bool> report, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var open = tracked.Where(t => t.Submitted).ToList();
        while (true)
        {
            // A few orders at a time: one slow answer must not stall the whole display.
            await Parallel.ForEachAsync(
                open.Where(t => !t.Terminal).GroupBy(t => t.Order.Id).ToList(),
                new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
                async (group, token) =>
                {
                    var answer = await api.ListAsync(group.Key, fromPingpp: false, token).ConfigureAwait(false);
                    if ((int)answer.Status is < 200 or >= 300)
                    {
                        return; // 404: not recorded yet (still in the queue).
                    }

                    var rows = LedgerView.Read(answer.Body);
                    foreach (var item in group)
                    {
                        item.Row = rows.FirstOrDefault(r => r.RequestId == item.Request.RequestId) ?? item.Row;
                    }
                }).ConfigureAwait(false);

            var done = open.All(t => t.Terminal);
            var elapsed = clock.Elapsed;
            var final = done || elapsed >= timeout;
            report(Counts(tracked), elapsed, final);
            if (final)
            {
                return done && open.Count == tracked.Count;
            }

            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
    }

    private static string Counts(List<Tracked> tracked)
    {
        var submitted = tracked.Count(t => t.Submitted);
        var succeeded = tracked.Count(t => t.Row?.State == "succeeded");
        var failed = tracked.Count(t => t.Row?.State is "failed" or "rejected");
        var pending = submitted - succeeded - failed;
        var notAccepted = tracked.Count - submitted;
        return $"submitted {submitted} · pending {pending} · succeeded {succeeded} · failed {failed}"
               + (notAccepted > 0 ? $" · not accepted {notAccepted}" : "");
    }

    private void WriteLedger(List<Tracked> tracked)
    {
        var table = CliTable.Create("ORDER", "VIA", "REQUEST ID", "STATE", "REFUND IDS", "AMOUNT>", "STATUS", "FAILURE", "UPDATED (UTC)");
        foreach (var t in tracked)
        {
            var r = t.Row;
            table.Row(
                t.Order.Id,
                t.Via,
                t.Request.RequestId,
                r?.State ?? (t.Submitted ? "not recorded yet" : "not accepted"),
                r is null ? null : string.Join(",", r.RefundIds),
                r?.Amount?.ToString(CultureInfo.InvariantCulture),
                r?.Status,
                r is null ? null : $"{r.FailureCode} {r.FailureMessage}".Trim(),
                r?.Updated);
        }

        console.Write(table);
    }

    /// <returns>How many requests made more than one refund (each demo order has one charge, so one refund per request).</returns>
    private async Task<int> CheckAtSimulatorAsync(SimulatorClient simulator, List<Tracked> tracked, CancellationToken ct)
    {
        var refunds = await simulator.RefundsAsync(ct).ConfigureAwait(false);
        var byRequest = refunds.Where(r => r.RequestId is not null).GroupBy(r => r.RequestId!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var made = tracked.Sum(t => byRequest.GetValueOrDefault(t.Request.RequestId));
        var duplicates = tracked.Count(t => byRequest.GetValueOrDefault(t.Request.RequestId) > 1);
        var none = tracked.Count(t => byRequest.GetValueOrDefault(t.Request.RequestId) == 0);
        console.Out.WriteLine($"Ping++ (simulator) holds {made} refund(s) for these {tracked.Count} requests"
                              + (duplicates == 0 ? "; none made twice" : $"; {duplicates} request(s) made MORE THAN ONE")
                              + (none == 0 ? "." : $"; {none} request(s) have none yet."));
        return duplicates;
    }

    private async Task ShowAbnormalAsync(RefundsApiClient api, SimulatorClient simulator, List<Abnormal> abnormal, CancellationToken ct)
    {
        console.Out.WriteLine();
        console.Out.WriteLine("abnormal payments (the guide's 注意事项): the app's " + SettingNames.AnomaliesMode + " decides:");
        console.Out.WriteLine("  Report (default): recorded and logged, no refund · AutoRefund: refunded once, one request per charge refunded, id anomaly-<order>-<kind>-<charge> · Off: ignored");
        var refunds = await simulator.RefundsAsync(ct).ConfigureAwait(false);
        foreach (var a in abnormal)
        {
            var expectedId = AnomalyRefundRequestIds.For(a.Order.Id, a.Kind);
            var atPingpp = refunds.Where(r => r.OrderId == a.Order.Id).ToList();
            var answer = await api.ListAsync(a.Order.Id, fromPingpp: false, ct).ConfigureAwait(false);
            var rows = (int)answer.Status is >= 200 and < 300 ? LedgerView.Read(answer.Body) : [];
            console.Out.WriteLine($"  order {a.Order.Id}: {a.Case}");
            console.Out.WriteLine(atPingpp.Count == 0
                ? $"    Ping++: no refund (yet). Under AutoRefund its request ids would be {expectedId}-<charge>."
                : $"    Ping++: {string.Join(", ", atPingpp.Select(r => $"{r.RefundId} {r.Amount} {r.Status} (request {r.RequestId ?? "none"})"))}");
            if (rows.Count > 0)
            {
                console.Write(new Padder(LedgerView.Table(rows), new Padding(4, 0, 0, 0)));
            }
        }
    }
}
