using System.Net.Http.Json;

namespace Refunds.IntegrationTests.Cli;

/// <summary>
/// The CLI's commands whose routes other branches of issue 23 add (problems, approve/deny/cancel, review, search,
/// export), end to end against the dev host with keys on.
/// </summary>
public sealed class OperatorCommandsTests(OperatorHost app) : IClassFixture<OperatorHost>
{
    [Fact]
    public async Task Problems_lists_a_dead_lettered_request_with_requeue_as_its_action()
    {
        var requestId = await DeadLetteredAsync();

        var run = await app.RunAsync("problems", "--kind", "dead_lettered");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(run.Out.Split('\n'), l => l.Contains("KIND") && l.Contains("ACTIONS"));
        Assert.Matches($@"dead_lettered\s+{requestId}\s+2011708070000007599\s+.*requeue", Assert.Single(run.Out.Split('\n'), l => l.Contains(requestId)));
    }

    [Fact]
    public async Task Approve_and_deny_act_on_requests_waiting_for_approval_and_deny_needs_a_reason()
    {
        var (waiting, other) = (await AwaitingApprovalAsync(), await AwaitingApprovalAsync());

        var approved = await app.RunAsync("approve", waiting, "--reason", "customer confirmed");
        var denyWithout = await app.RunAsync("deny", other);
        var denied = await app.RunAsync("deny", other, "--reason", "duplicate");
        var again = await app.RunAsync("approve", other);

        Assert.Equal(0, approved.ExitCode);
        Assert.StartsWith($"request {waiting}: received", approved.Out);
        Assert.Matches(@"awaiting_approval\s+received\s+operator:key:master\s+customer confirmed", approved.Out);
        Assert.Equal(2, denyWithout.ExitCode);
        Assert.Equal(0, denied.ExitCode);
        Assert.StartsWith($"request {other}: canceled", denied.Out);
        Assert.Equal(4, again.ExitCode);
    }

    [Fact]
    public async Task Cancel_ends_a_received_request_and_an_unknown_one_exits_3()
    {
        var waiting = await AwaitingApprovalAsync();

        var canceled = await app.RunAsync("cancel", waiting, "--reason", "customer withdrew");
        var unknown = await app.RunAsync("cancel", "nobody-" + Guid.NewGuid().ToString("N")[..6], "--reason", "x");

        Assert.Equal(0, canceled.ExitCode);
        Assert.StartsWith($"request {waiting}: canceled", canceled.Out);
        Assert.Equal(3, unknown.ExitCode);
    }

    [Fact]
    public async Task Review_marks_a_problem_reviewed_and_it_leaves_the_default_list()
    {
        var requestId = await DeadLetteredAsync();

        var reviewed = await app.RunAsync("review", "dead_lettered", requestId, "--note", "Ping++ outage, requeue tomorrow");
        var list = await app.RunAsync("problems", "--kind", "dead_lettered");
        var withReviewed = await app.RunAsync("problems", "--kind", "dead_lettered", "--include-reviewed");

        Assert.Equal(0, reviewed.ExitCode);
        Assert.StartsWith($"dead_lettered {requestId}: reviewed by operator:key:master", reviewed.Out);
        Assert.DoesNotContain(requestId, list.Out);
        Assert.Contains("Ping++ outage, requeue tomorrow", Assert.Single(withReviewed.Out.Split('\n'), l => l.Contains(requestId)));
    }

    [Fact]
    public async Task Search_finds_a_request_by_order_and_export_writes_the_served_csv_with_its_bom()
    {
        var requestId = await DeadLetteredAsync();
        var file = Path.Combine(Path.GetTempPath(), $"refunds-export-{Guid.NewGuid():N}.csv");
        try
        {
            var search = await app.RunAsync("search", "--request", requestId);
            var export = await app.RunAsync("export", "--request", requestId, "--out", file);

            Assert.Equal(0, search.ExitCode);
            Assert.Matches($@"{requestId}\s+2011708070000007599\s+dead_lettered", Assert.Single(search.Out.Split('\n'), l => l.Contains(requestId)));
            Assert.Equal(0, export.ExitCode);
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
            var served = await app.GetAsync($"api/manage/export/refund-requests.csv?request_id={requestId}");
            Assert.Equal(System.Text.Encoding.UTF8.GetString(bytes[3..]), served.Body.TrimStart('\uFEFF'));
            Assert.Contains("退款", System.Text.Encoding.UTF8.GetString(bytes));
            Assert.Contains("wrote 1 refund request(s)", export.Err);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private Task<string> DeadLetteredAsync()
        => app.RequestAsync("cli-merge-", (l, id) => l.RecordDeadLetteredAsync(id, "test: poison", CancellationToken.None));

    /// <summary>A refund over the default per-request limit (100000 fen) submitted through the API: it waits for approval.</summary>
    private async Task<string> AwaitingApprovalAsync()
    {
        var requestId = "cli-approve-" + Guid.NewGuid().ToString("N")[..8];
        using var client = app.Host.CreateClient(app.Environment["KEY"]);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/orders/2011708070000007598/refunds")
        {
            Content = JsonContent.Create(new { description = "大额退款", charge = "ch_L8qn10mLmr1GS8e5OODmHaL4", charge_amount = 150000 }),
        };
        request.Headers.Add("Idempotency-Key", requestId);
        using var response = await client.SendAsync(request);
        Assert.Equal(202, (int)response.StatusCode);
        await Eventually.TrueAsync(async () => (await app.Ledger.GetRequestAsync(requestId, CancellationToken.None))?.State.ToString() == "AwaitingApproval", TimeSpan.FromSeconds(20), "the request to wait for approval");
        return requestId;
    }
}
