using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Pingpp.Simulator.Faults;
using Refunds.Core.Ledger;
using Refunds.Core.Refunds;
using Refunds.EndToEndTests.Support;
using Refunds.Functions.OperatorConsole;
using Refunds.Functions.Tests;
using Xunit.Abstractions;

namespace Refunds.EndToEndTests.Console;

/// <summary>
/// The operator console in a real browser (headless Debian Chromium through Playwright) on the local stack: the local
/// host serving every function with keys on, Azurite, the Ping++ simulator delivering webhooks. Requests reach the
/// states an operator sees the real way (a rate-limited Ping++ dead-letters one; a limit holds one for approval).
/// Screenshots in TestResults/console-*.png.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed partial class ConsoleBrowserTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Settled = TimeSpan.FromSeconds(90);

    private const string CsvHeader = "request_id,order_id,status,amount_fen,amount_yuan,charge,refund_ids,created_at,updated_at,submitted_by,description";

    [Fact]
    public async Task The_console_is_served_under_a_strict_policy_asks_for_the_key_and_requeues_a_dead_lettered_request_found_by_its_order_once()
    {
        await using var system = await StartAsync();
        await AssertServedStrictlyAsync(system);
        var dead = await DeadLetteredAsync(system, "console-dead-" + Guid.NewGuid().ToString("N")[..12]);

        await using var browser = await ConsoleBrowser.LaunchAsync(system.Urls[0]);
        var page = browser.Page;
        await page.GotoAsync("/api/console");
        await Assertions.Expect(page.Locator("#key-prompt")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#nav")).ToBeHiddenAsync();
        await browser.ScreenshotAsync("key-prompt");

        // A function key is not the master key: refused at the prompt, nothing shown.
        await page.FillAsync("#key-input", system.Keys.HostKeys["default"]);
        await page.ClickAsync("#key-submit");
        await Assertions.Expect(page.Locator("#key-error")).ToContainTextAsync("refused");
        await Assertions.Expect(page.Locator("#nav")).ToBeHiddenAsync();

        await page.FillAsync("#key-input", system.Keys.MasterKey);
        await page.ClickAsync("#key-submit");
        await Assertions.Expect(page.Locator("#who")).ToContainTextAsync("key:master");
        Assert.Equal(system.Keys.MasterKey, await page.EvaluateAsync<string>("() => sessionStorage.getItem('refunds.console.key')"));
        Assert.Null(await page.EvaluateAsync<string?>("() => localStorage.getItem('refunds.console.key')"));

        await page.GotoAsync($"/api/console#order/{dead.OrderId}");
        var row = page.Locator($"#order-result tr[data-id='{dead.RequestId}']");
        await Assertions.Expect(row.Locator(".tag")).ToHaveTextAsync("dead_lettered");
        await browser.ScreenshotAsync("order-dead-lettered");

        var said = await browser.ActAsync(row.Locator("button[data-action='requeue']"), "Ping++ throttled us; retry now");
        Assert.Contains($"Requeue {dead.RequestId}: done", said, StringComparison.Ordinal);

        var done = await system.WaitForAllAsync([dead.RequestId], r => r.State is RefundRequestState.Submitted or RefundRequestState.Succeeded, Settled);
        Assert.Contains(done[dead.RequestId].State, new[] { RefundRequestState.Submitted, RefundRequestState.Succeeded });
        var history = (await system.Ledger.GetRequestWithHistoryAsync(dead.RequestId, CancellationToken.None))!.History;
        Assert.Contains(history, h => (h.From, h.To, h.Actor, h.Reason) == (RefundRequestState.DeadLettered, RefundRequestState.Received, "operator:key:master", "Ping++ throttled us; retry now"));
        await system.WaitForWebhooksSentAsync(Settled);
        Assert.Single(await system.Sim.GetRefundsAsync(dead.OrderId));
        await page.ClickAsync("#order-open");
        await Assertions.Expect(row.Locator(".tag")).ToHaveTextAsync(SettledState());
        Assert.Equal(0, await row.Locator("button[data-action='requeue']").CountAsync());
        await browser.ScreenshotAsync("order-requeued");

        // The key never went into a URL, and the page ran without a policy violation or a script error.
        Assert.DoesNotContain(system.Keys.MasterKey, page.Url, StringComparison.Ordinal);
        Assert.DoesNotContain(browser.ConsoleMessages, m => m.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || m.StartsWith("pageerror", StringComparison.Ordinal));
        output.WriteLine(string.Join("\n", browser.ConsoleMessages));
    }

    /// <summary>
    /// The whole operator round against CONTRACT-23: problems list, requeue, approval, history, CSV export, chart and
    /// event log. Needs the routes of the other issue-23 branches (problems, approve, request view with history, export,
    /// stats, webhook events): it passes once they are merged.
    /// </summary>
    [Fact]
    public async Task An_operator_requeues_from_the_problems_list_approves_a_waiting_refund_reads_its_history_and_exports_a_csv()
    {
        await using var system = await StartAsync();
        var dead = await DeadLetteredAsync(system, "console-pb-" + Guid.NewGuid().ToString("N")[..12]);
        var large = await system.SeededRequestAsync("console-big-" + Guid.NewGuid().ToString("N")[..12], 80_000);
        Assert.Equal(HttpStatusCode.Accepted, (await RefundApi.SubmitAsync(system.Client, large)).Status);
        var held = await system.WaitForAllAsync([large.RequestId], r => r.State is not (RefundRequestState.Received or RefundRequestState.Submitting), Settled);
        Assert.Equal("AwaitingApproval", held[large.RequestId].State.ToString());
        Assert.Empty(await system.Sim.GetRefundsAsync(large.OrderId));

        await using var browser = await ConsoleBrowser.LaunchAsync(system.Urls[0]);
        var page = browser.Page;
        await browser.SignInWithKeyAsync(system.Keys.MasterKey);

        // 1. The problems list holds both; the dead-lettered one is requeued and leaves the list.
        await page.GotoAsync("/api/console#problems");
        var deadRow = page.Locator($"#problems-list tr[data-id='dead_lettered:{dead.RequestId}']");
        var waitingRow = page.Locator($"#problems-list tr[data-id='awaiting_approval:{large.RequestId}']");
        await Assertions.Expect(deadRow).ToBeVisibleAsync();
        await Assertions.Expect(waitingRow).ToBeVisibleAsync();
        await browser.ScreenshotAsync("problems");
        Assert.Contains("done", await browser.ActAsync(deadRow.Locator("button[data-action='requeue']"), "Ping++ throttled us; retry now"), StringComparison.Ordinal);
        await Assertions.Expect(deadRow).ToHaveCountAsync(0);
        await system.WaitForAllAsync([dead.RequestId], r => r.State is RefundRequestState.Submitted or RefundRequestState.Succeeded, Settled);
        Assert.Single(await system.Sim.GetRefundsAsync(dead.OrderId));

        // 2. The waiting refund is approved with a reason and goes to Ping++ once.
        Assert.Contains("done", await browser.ActAsync(waitingRow.Locator("button[data-action='approve']"), "approved by finance, ticket 4711"), StringComparison.Ordinal);
        await Assertions.Expect(waitingRow).ToHaveCountAsync(0);
        await system.WaitForAllAsync([large.RequestId], r => r.State is RefundRequestState.Submitted or RefundRequestState.Succeeded, Settled);
        await system.WaitForWebhooksSentAsync(Settled);
        Assert.Single(await system.Sim.GetRefundsAsync(large.OrderId));

        // 3. Its history names the operator and the reason.
        await page.GotoAsync($"/api/console#request/{large.RequestId}");
        var history = page.Locator("#request-history");
        await Assertions.Expect(history).ToContainTextAsync("awaiting_approval");
        await Assertions.Expect(history).ToContainTextAsync("operator:key:master");
        await Assertions.Expect(history).ToContainTextAsync("approved by finance, ticket 4711");
        await browser.ScreenshotAsync("history");

        // 4. Search by order and export: the downloaded bytes are the contract's CSV.
        await page.GotoAsync("/api/console#search");
        await page.FillAsync("#search-order_id", large.OrderId);
        await page.ClickAsync("#search-run");
        await Assertions.Expect(page.Locator($"#search-results tr[data-id='{large.RequestId}']")).ToBeVisibleAsync();
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#search-export"));
        Assert.Equal("refund-requests.csv", download.SuggestedFilename);
        var path = Path.Combine(ConsoleBrowser.ResultsFolder, "console-export.csv");
        await download.SaveAsAsync(path);
        var bytes = await File.ReadAllBytesAsync(path);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(CsvHeader, lines[0].Replace("\n", "", StringComparison.Ordinal));
        var line = Assert.Single(lines, l => l.StartsWith(large.RequestId + ",", StringComparison.Ordinal));
        Assert.Contains(",80000,800.00,", line, StringComparison.Ordinal);
        Assert.Contains(large.Description!, line, StringComparison.Ordinal);
        await browser.ScreenshotAsync("search");

        // 5. The chart of the last 30 days draws today's refunds; the event log lists the delivered webhooks.
        await page.GotoAsync("/api/console#chart");
        await Assertions.Expect(page.Locator("#chart svg").First).ToBeVisibleAsync();
        Assert.True(await page.Locator("#chart svg rect[data-outcome]").CountAsync() > 0);
        await browser.ScreenshotAsync("chart");
        await page.GotoAsync("/api/console#events");
        await Assertions.Expect(page.Locator("#events-list tbody tr").First).ToBeVisibleAsync();
        await browser.ScreenshotAsync("events");
        Assert.DoesNotContain(browser.ConsoleMessages, m => m.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || m.StartsWith("pageerror", StringComparison.Ordinal));
    }

    private static Task<RefundSystem> StartAsync() => RefundSystem.StartAsync(new RefundSystemOptions
    {
        StorageConnectionString = TestStorage.ConnectionString,
        AllFunctions = true,
        MaxDequeueCount = 2,
        // A request over 500 yuan waits for an operator (CONTRACT-23, s6-23a's limits).
        Settings = new Dictionary<string, string?> { ["Approval:MaxAmountPerRequest"] = "50000" },
    });

    /// <summary>The console's files as any browser gets them, without a key: content types, the policy, cache headers; nothing else.</summary>
    private static async Task AssertServedStrictlyAsync(RefundSystem system)
    {
        using var anonymous = system.CreateClient(0, key: null);
        using var page = await anonymous.GetAsync("/api/console");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Equal(ConsoleFiles.ContentSecurityPolicy, page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.True(page.Headers.CacheControl!.NoCache);
        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotMatch(InlineScript(), html);
        Assert.DoesNotContain(" style=", html, StringComparison.Ordinal);
        Assert.DoesNotContain("on" + "click=", html, StringComparison.OrdinalIgnoreCase);

        using var script = await anonymous.GetAsync("/api/console/app.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType!.MediaType);
        Assert.Equal(TimeSpan.FromMinutes(5), script.Headers.CacheControl!.MaxAge);
        var etag = script.Headers.ETag!;
        using var again = new HttpRequestMessage(HttpMethod.Get, "/api/console/app.js");
        again.Headers.IfNoneMatch.Add(etag);
        using var notModified = await anonymous.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        using var css = await anonymous.GetAsync("/api/console/console.css");
        Assert.Equal("text/css", css.Content.Headers.ContentType!.MediaType);

        foreach (var missing in new[] { "/api/console/nothing.js", "/api/console/../host.json", "/api/console/%2e%2e/host.json", "/api/console/Refunds.Functions.dll" })
        {
            using var refused = await anonymous.GetAsync(missing);
            Assert.True(refused.StatusCode == HttpStatusCode.NotFound, $"{missing}: {(int)refused.StatusCode}");
        }

        // The page holds no data: the data routes still want the master key.
        using var whoami = await anonymous.GetAsync("/api/manage/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, whoami.StatusCode);
    }

    /// <summary>A request dead-lettered the real way: Ping++ (the simulator) rate-limits every call until its attempts run out.</summary>
    private static async Task<RefundRequest> DeadLetteredAsync(RefundSystem system, string requestId)
    {
        var request = await system.SeededRequestAsync(requestId, 900);
        await system.Sim.SetFaultsAsync(new Dictionary<string, FaultSpec> { [FaultInjector.RateLimit] = new() { Rate = 1, RetryAfterSeconds = 1 } });
        try
        {
            Assert.Equal(HttpStatusCode.Accepted, (await RefundApi.SubmitAsync(system.Client, request)).Status);
            await system.WaitForAllAsync([requestId], r => r.State == RefundRequestState.DeadLettered, Settled);
        }
        finally
        {
            await system.Sim.ClearFaultsAsync();
        }

        Assert.Empty(await system.Sim.GetRefundsAsync(request.OrderId));
        return request;
    }

    [GeneratedRegex("^(submitted|succeeded)$")]
    private static partial Regex SettledState();

    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();
}
