using Refunds.Core.Anomalies;
using Refunds.Core.Ledger;
using Refunds.Core.Operations.Problems;
using Refunds.Core.Pingpp;
using Refunds.Core.Reconciliation;
using Refunds.Core.Refunds;
using Refunds.Core.Webhooks;

namespace Refunds.IntegrationTests.Operations;

/// <summary>The problems list on Azurite: every kind from its own store, merged newest first over pages, with its actions; reviewed ones leave.</summary>
public sealed class ProblemsListTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Problems_of_every_kind_appear_newest_first_with_their_actions_and_reviewed_ones_leave_the_default_list()
    {
        using var rig = new OperationsRig();
        var run = Guid.NewGuid().ToString("N")[..8];
        var order = "ord-" + run;
        var lease = TimeSpan.FromMinutes(5);

        // stuck: claimed and never heard of again (the oldest, so it is past Operations__StuckAfter at the end).
        var stuck = await rig.CreateAsync("stuck-" + run, order, "ch_" + run, 100);
        await rig.Ledger.TryBeginSubmitAsync(stuck.RequestId, rig.Time.GetUtcNow(), lease, None);
        rig.Time.Advance(TimeSpan.FromMinutes(40));
        // A request claimed a minute ago is not stuck.
        var fresh = await rig.CreateAsync("fresh-" + run, order, "ch_" + run, 100);
        await rig.Ledger.TryBeginSubmitAsync(fresh.RequestId, rig.Time.GetUtcNow(), lease, None);
        rig.Time.Advance(TimeSpan.FromMinutes(1));
        var dead = await rig.CreateAsync("dead-" + run, order, "ch_" + run, 200);
        await rig.Ledger.RecordDeadLetteredAsync(dead.RequestId, "poisoned", None);
        rig.Time.Advance(TimeSpan.FromMinutes(1));
        await rig.Ledger.RecordRejectedAsync(new RefundRejection { Id = "rej-" + run, Reasons = ["amount: missing"], RawText = "{}" }, None);
        rig.Time.Advance(TimeSpan.FromMinutes(1));
        var failed = await rig.CreateAsync("failed-" + run, order, "ch_" + run, 300);
        var claim = await rig.Ledger.TryBeginSubmitAsync(failed.RequestId, rig.Time.GetUtcNow(), lease, None);
        await rig.Ledger.RecordFailedAsync(failed.RequestId, claim.Request!.Attempt, "channel_error", "refused", None);
        rig.Time.Advance(TimeSpan.FromMinutes(1));
        var review = await rig.CreateAsync("review-" + run, order, "ch_" + run, 400);
        await rig.Ledger.RecordNeedsReviewAsync(review.RequestId, null, "two unmarked refunds", None);
        rig.Time.Advance(TimeSpan.FromMinutes(1));
        await new DiscrepancyStore(rig.Service, rig.Time, rig.Table("DiscrepanciesTable"))
            .RecordAsync(new Discrepancy(DiscrepancyKind.StatusConflict, order, "re_x" + run, null, "succeeded", "failed"), None);
        rig.Time.Advance(TimeSpan.FromMinutes(1));
        var anomaly = new PaymentAnomaly(order, AnomalyKind.Overpaid, "paid", 1000, 1200, 0, 200, [new PlannedAnomalyRefund("ch_" + run, 200, "anomaly-" + run)]);
        await new AnomalyStore(rig.Service, rig.Time, rig.Table("AnomaliesTable")).RecordAsync(anomaly, "reported", "webhook", None);
        rig.Time.Advance(TimeSpan.FromMinutes(1));
        // A refund of an order we cannot name, kept as the webhook handler keeps it (ledger orphan + unplaced store).
        var orphan = new PingppRefund { Id = "re_orphan" + run, Amount = 50, Status = PingppRefundStatus.Succeeded, Succeed = true, Charge = "ch_other" + run };
        await rig.Ledger.ApplyRefundAsync(orphan, null, None);
        await new UnplacedRefundStore(rig.Service, rig.Time, rig.Table("ReconcileIndexTable")).RecordAsync(orphan, "{\"id\":\"re_orphan" + run + "\"}", None);
        rig.Time.Advance(TimeSpan.FromMinutes(1));
        var events = new WebhookEventStore(rig.Service, rig.Table("WebhookEventsTable"));
        await events.AddAsync(new StoredWebhookEvent { EventId = "evt_late" + run, Type = "refund.succeeded", Body = "{}"u8.ToArray(), ReceivedAt = rig.Time.GetUtcNow() }, None);
        await events.AddAsync(new StoredWebhookEvent { EventId = "evt_done" + run, Type = "refund.succeeded", Body = "{}"u8.ToArray(), ReceivedAt = rig.Time.GetUtcNow(), Applied = true }, None);
        rig.Time.Advance(UnappliedWebhookProblemSource.Grace + TimeSpan.FromMinutes(1));

        var all = await rig.ProblemsAllAsync(new ProblemsQuery(null, null, null, false), pageSize: 2);

        var expected = new Dictionary<string, (string Id, string[] Actions)>
        {
            ["unapplied_webhook"] = ("evt_late" + run, ["reapply", "review"]),
            ["unplaced_refund"] = ("re_orphan" + run, ["review"]),
            ["abnormal_payment"] = ($"{order}|overpaid", ["review"]),
            ["discrepancy"] = ($"{order}|StatusConflict|re_x{run}", ["review"]),
            ["needs_review"] = (review.RequestId, ["review"]),
            ["failed"] = (failed.RequestId, ["review"]),
            ["rejected"] = ("rej-" + run, ["review"]),
            ["dead_lettered"] = (dead.RequestId, ["requeue", "cancel", "review"]),
            ["stuck"] = (stuck.RequestId, ["review"]),
        };
        Assert.Equal(expected.Keys, all.Select(p => p.Kind));
        foreach (var problem in all)
        {
            Assert.Equal((expected[problem.Kind].Id, string.Join(',', expected[problem.Kind].Actions)), (problem.Id, string.Join(',', problem.Actions)));
            Assert.False(string.IsNullOrWhiteSpace(problem.Summary));
            Assert.Null(problem.Reviewed);
        }

        Assert.Equal("not_requested", all.Single(p => p.Kind == "abnormal_payment").State);
        Assert.Equal("submitting", all.Single(p => p.Kind == "stuck").State);
        Assert.Equal(300, all.Single(p => p.Kind == "failed").Amount);
        Assert.Equal(["failed", "dead_lettered"], (await rig.ProblemsAllAsync(new ProblemsQuery(["failed", "dead_lettered"], null, null, false), 1)).Select(p => p.Kind));

        var reviewed = await rig.Problems.ReviewAsync("dead_lettered", dead.RequestId, "operator:key:master", "asked the customer", None);
        Assert.Equal(new ProblemReview("operator:key:master", rig.Time.GetUtcNow(), "asked the customer"), reviewed!.Reviewed);
        Assert.Null(await rig.Problems.ReviewAsync("failed", dead.RequestId, "operator:key:master", "wrong kind", None));
        Assert.Null(await rig.Problems.ReviewAsync("unplaced_refund", "re_nothing", "operator:key:master", "unknown", None));

        var after = await rig.ProblemsAllAsync(new ProblemsQuery(null, null, null, false), pageSize: 3);
        Assert.DoesNotContain(after, p => p.Kind == "dead_lettered");
        Assert.Equal(8, after.Count);
        var withReviewed = await rig.ProblemsAllAsync(new ProblemsQuery(null, null, null, IncludeReviewed: true), pageSize: 3);
        Assert.Equal("asked the customer", withReviewed.Single(p => p.Kind == "dead_lettered").Reviewed!.Note);

        // A reviewed request that becomes a problem again (requeued, dead-lettered again) is back in the list.
        rig.Time.Advance(TimeSpan.FromMinutes(1));
        await rig.Ledger.ApplyOperatorMoveAsync(dead.RequestId, OperatorMove.Requeue, "operator:key:master", null, None);
        await rig.Ledger.RecordDeadLetteredAsync(dead.RequestId, "poisoned again", None);
        Assert.Contains(await rig.ProblemsAllAsync(new ProblemsQuery(["dead_lettered"], null, null, false), 5), p => p.Id == dead.RequestId);
    }

    [Fact]
    public async Task The_time_filter_keeps_problems_that_started_inside_the_range()
    {
        using var rig = new OperationsRig();
        var run = Guid.NewGuid().ToString("N")[..8];
        var first = await rig.CreateAsync("t1-" + run, "ord-" + run, "ch_" + run, 100);
        await rig.Ledger.RecordDeadLetteredAsync(first.RequestId, "poisoned", None);
        rig.Time.Advance(TimeSpan.FromHours(2));
        var boundary = rig.Time.GetUtcNow();
        var second = await rig.CreateAsync("t2-" + run, "ord-" + run, "ch_" + run, 100);
        await rig.Ledger.RecordDeadLetteredAsync(second.RequestId, "poisoned", None);

        Assert.Equal([second.RequestId], (await rig.ProblemsAllAsync(new ProblemsQuery(null, boundary, null, false), 10)).Select(p => p.Id));
        Assert.Equal([first.RequestId], (await rig.ProblemsAllAsync(new ProblemsQuery(null, null, boundary, false), 10)).Select(p => p.Id));
    }
}
