using System.Text.Json;
using Refunds.Functions.Tests.Webhooks;

namespace Refunds.IntegrationTests.Cli;

/// <summary>
/// <c>refunds events</c>, <c>event</c>, <c>reapply</c> and <c>requeue</c> end to end: the CLI over real HTTP to the app in
/// the dev host (keys on, the master key from <c>MASTER_KEY</c>), on Azurite. Output is asserted on the rendered
/// Spectre.Console table text, and every exit code.
/// </summary>
public sealed class EventCommandTests(OperatorHost app) : IClassFixture<OperatorHost>
{
    [Fact]
    public async Task Events_lists_delivered_webhooks_newest_first_with_their_apply_status_and_filters_by_type()
    {
        var refundEvent = TestEvents.NewId("evt_cli");
        var infoEvent = TestEvents.NewId("evt_cli");
        var refundId = TestEvents.NewId("re_");
        Assert.Equal(200, await app.DeliverAsync(TestEvents.Bytes(TestEvents.RefundSucceeded(refundEvent, refundId))));
        Assert.Equal(200, await app.DeliverAsync(TestEvents.Bytes(TestEvents.Event(infoEvent, "summary.daily.available", new() { ["object"] = "summary" }))));

        var all = await app.RunAsync("events");
        var refunds = await app.RunAsync("events", "--type", "refund.succeeded");

        Assert.Equal(0, all.ExitCode);
        var lines = all.Out.Split('\n');
        Assert.Contains(lines, l => l.Contains("EVENT ID") && l.Contains("TYPE") && l.Contains("APPLY STATUS") && l.Contains("APPLIED AS"));
        var infoRow = Assert.Single(lines, l => l.Contains(infoEvent));
        var refundRow = Assert.Single(lines, l => l.Contains(refundEvent));
        Assert.Matches($@"{refundEvent}\s+refund\.succeeded\s+\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\s+applied\s+refund\s+-\s+{refundId}", refundRow);
        Assert.Matches($@"{infoEvent}\s+summary\.daily\.available\s+.*\s+ignored\s+none", infoRow);
        Assert.True(Array.IndexOf(lines, infoRow) < Array.IndexOf(lines, refundRow), "newest first");
        Assert.Equal(0, refunds.ExitCode);
        Assert.Contains(refundEvent, refunds.Out);
        Assert.DoesNotContain(infoEvent, refunds.Out);
    }

    [Fact]
    public async Task Event_shows_the_raw_body_and_that_the_stored_signature_verifies_now_and_never_the_signature()
    {
        var eventId = TestEvents.NewId("evt_show");
        var body = TestEvents.Bytes(TestEvents.RefundSucceeded(eventId, TestEvents.NewId("re_")));
        Assert.Equal(200, await app.DeliverAsync(body));

        var run = await app.RunAsync("event", eventId);
        var json = await app.RunAsync("event", eventId, "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"signature\s+verified now with the configured Ping\+\+ public key", run.Out);
        Assert.Matches(@"apply status\s+applied", run.Out);
        Assert.Contains("raw body:\n" + System.Text.Encoding.UTF8.GetString(body), run.Out.ReplaceLineEndings("\n"));
        using var doc = JsonDocument.Parse(json.Out);
        Assert.True(doc.RootElement.GetProperty("signature_verified").GetBoolean());
        Assert.False(doc.RootElement.TryGetProperty("signature", out _));
        Assert.DoesNotContain(app.Signer.Sign(body), json.Out + run.Out);
    }

    [Fact]
    public async Task Event_of_an_unknown_id_exits_3()
    {
        var run = await app.RunAsync("event", "evt_nobody_sent_this");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("not found (404)", run.Err);
        run.AssertNoStackTrace();
    }

    [Fact]
    public async Task Reapply_applies_a_pending_event_once_then_says_nothing_changed_and_event_shows_who_and_why()
    {
        var eventId = TestEvents.NewId("evt_pend");
        var refundId = TestEvents.NewId("re_");
        await app.StorePendingAsync(eventId, refundId);
        var before = await app.RunAsync("events", "--status", "pending");

        var first = await app.RunAsync("reapply", eventId, "--reason", "ledger was down at 03:00");
        var second = await app.RunAsync("reapply", eventId, "--reason", "checking again");
        var shown = await app.RunAsync("event", eventId);

        Assert.Matches($@"{eventId}\s+refund\.succeeded\s+.*\s+pending\s+-", Assert.Single(before.Out.Split('\n'), l => l.Contains(eventId)));
        Assert.Equal(0, first.ExitCode);
        Assert.Equal($"event {eventId}: applied now as refund (the ledger changed)", first.Out.Trim());
        Assert.Contains("recorded as operator:key:master", first.Err);
        Assert.Equal(0, second.ExitCode);
        Assert.Equal($"event {eventId}: already applied as refund; nothing changed", second.Out.Trim());
        Assert.NotNull(await app.Ledger.GetRefundAsync(refundId, CancellationToken.None));
        Assert.Matches(@"\d\d:\d\d:\d\d\s+operator:key:master\s+applied\s+ledger was down at 03:00", shown.Out);
        Assert.Matches(@"operator:key:master\s+already_applied\s+checking again", shown.Out);
    }

    [Fact]
    public async Task Reapply_of_an_event_refused_for_its_mode_exits_4_and_applies_nothing()
    {
        var eventId = TestEvents.NewId("evt_live");
        // The app runs with a test secret key: a live event is verified, stored and refused.
        Assert.Equal(200, await app.DeliverAsync(TestEvents.Bytes(TestEvents.RefundSucceeded(eventId, TestEvents.NewId("re_"), livemode: true))));

        var run = await app.RunAsync("reapply", eventId, "--reason", "try");

        Assert.Equal(4, run.ExitCode);
        Assert.Contains("not allowed now (409)", run.Err);
        Assert.Contains("refused", run.Err);
        Assert.Contains("livemode true", run.Err);
    }

    [Fact]
    public async Task Reapply_without_a_reason_is_a_usage_error_and_sends_nothing()
    {
        var run = await app.RunAsync("reapply", "evt_x");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--reason", run.Err);
        Assert.Contains("(see refunds reapply --help)", run.Err);
    }

    [Fact]
    public async Task The_function_key_is_refused_on_the_operator_routes_with_exit_5()
    {
        var run = await CliRun.RunWithEnvironmentAsync(app.Environment, "events", "--key", app.Environment["KEY"]);

        Assert.Equal(5, run.ExitCode);
        Assert.Contains("master key", run.Err);
    }

    [Fact]
    public async Task A_time_without_an_offset_is_refused_by_the_app_with_exit_2_naming_the_parameter()
    {
        var run = await app.RunAsync("events", "--since", "2026-12-06 08:00");
        var (status, body) = await app.GetAsync("api/manage/webhook-events?continuation=bm90LW91cnM");
        var (pageStatus, _) = await app.GetAsync("api/manage/webhook-events?page_size=201");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("since must be an ISO 8601 time with an offset", run.Err);
        Assert.Equal(400, status);
        Assert.Contains("invalid_parameter", body);
        Assert.Equal(400, pageStatus);
    }

    [Fact]
    public async Task Pages_follow_the_continuation_the_cli_prints()
    {
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, await app.DeliverAsync(TestEvents.Bytes(TestEvents.Event(TestEvents.NewId("evt_page"), "paging.test", new() { ["object"] = "x" }))));
        }

        var first = await app.RunAsync("events", "--type", "paging.test", "--page-size", "2");
        var token = first.Err.Split("--continuation ")[1].Trim();
        var second = await app.RunAsync("events", "--type", "paging.test", "--page-size", "2", "--continuation", token);

        Assert.Equal(2, first.Out.Split('\n').Count(l => l.Contains("evt_page")));
        Assert.Equal(1, second.Out.Split('\n').Count(l => l.Contains("evt_page")));
        Assert.DoesNotContain("--continuation", second.Err);
    }

    [Fact]
    public async Task The_entra_twins_exist_and_answer_404_while_entra_is_off()
    {
        var (list, _) = await app.GetAsync("api/entra/manage/webhook-events", key: null);
        var (one, _) = await app.GetAsync("api/entra/manage/webhook-events/evt_x", key: null);

        Assert.Equal((404, 404), (list, one));
        Assert.Contains("ListWebhookEventsEntra", app.Host.Functions.All.Select(f => f.Name));
    }

    [Fact]
    public async Task Requeue_of_a_dead_lettered_request_exits_0_one_needing_review_exits_4_and_an_unknown_id_exits_3()
    {
        var deadLettered = await app.RequestAsync("cli-requeue-", (l, id) => l.RecordDeadLetteredAsync(id, "test: poison", CancellationToken.None));
        var needsReview = await app.RequestAsync("cli-review-", (l, id) => l.RecordNeedsReviewAsync(id, null, "test: unsettled", CancellationToken.None));

        var requeued = await app.RunAsync("requeue", deadLettered, "--reason", "Ping++ is back");
        var refused = await app.RunAsync("requeue", needsReview);
        var unknown = await app.RunAsync("requeue", "cli-requeue-nobody");

        Assert.Equal(0, requeued.ExitCode);
        var said = requeued.Out.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Equal($"request {deadLettered}: received", said[0]);
        // Then its history, the operator and the reason in the last row.
        Assert.Matches(@"dead_lettered\s+received\s+operator:key:master\s+Ping\+\+ is back", requeued.Out);
        Assert.Equal(4, refused.ExitCode);
        Assert.Contains("not allowed now (409)", refused.Err);
        Assert.Equal("", refused.Out);
        Assert.Equal(3, unknown.ExitCode);
    }
}
