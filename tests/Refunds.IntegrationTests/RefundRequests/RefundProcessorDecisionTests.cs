using Pingpp.Simulator.Faults;
using Refunds.Core.Ledger;
using Refunds.Core.Refunds;
using Refunds.IntegrationTests.Reconciliation;

namespace Refunds.IntegrationTests.RefundRequests;

/// <summary>
/// <see cref="RefundProcessor"/> decisions at their edges, with the real ledger on Azurite, the simulator, and a fake
/// clock shared by the processor and the ledger (so "just before" and "just after" the grace period are exact).
/// </summary>
public sealed class RefundProcessorDecisionTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>The state a create with an unknown outcome leaves (write-ahead, then released keeping the uncertainty).</summary>
    private static async Task<(RefundRequest Request, DateTimeOffset SendStarted)> LostCreateAsync(ReconcileHarness h, string requestId)
    {
        var order = await h.Admin.SeedOrderAsync(800);
        var request = await h.RecordRequestAsync(order.Id, requestId, order.ChargeIds[0], 300);
        var claim = await h.Ledger.TryBeginSubmitAsync(requestId, h.Time.GetUtcNow(), TimeSpan.FromSeconds(30), None);
        var sendStarted = h.Time.GetUtcNow();
        await h.Ledger.RecordSendStartingAsync(requestId, claim.Request!.Attempt, sendStarted, None);
        await h.Ledger.ReleaseClaimAsync(requestId, claim.Request.Attempt, definitelyNotSent: false, "create: OutcomeUnknown: timeout", None);
        return (request, sendStarted);
    }

    [Fact]
    public async Task After_an_unknown_outcome_a_retry_just_inside_the_grace_period_waits_and_one_at_its_end_creates()
    {
        await using var h = await ReconcileHarness.StartAsync();
        var (request, _) = await LostCreateAsync(h, "grace-edge-1");
        await h.Queue.EnqueueAsync(request, None);

        h.Time.Advance(ReconcileHarness.Grace - TimeSpan.FromMilliseconds(1));
        var justBefore = await h.ProcessQueueAsync();
        var waiting = (await h.Ledger.GetRequestAsync(request.RequestId, None))!;
        var refundsBefore = await h.Admin.GetRefundsAsync();
        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        var atEnd = await h.ProcessQueueAsync();

        Assert.Empty(justBefore);
        Assert.Empty(refundsBefore);
        Assert.Equal((RefundRequestState.Received, true), (waiting.State, waiting.Uncertain));
        Assert.Equal("create: OutcomeUnknown: timeout", waiting.LastError);
        Assert.Equal([RefundProcessingOutcome.Created], atEnd);
        var refund = Assert.Single(await h.Admin.GetRefundsAsync());
        Assert.Equal(request.RequestId, refund.RequestId);
        var done = (await h.Ledger.GetRequestAsync(request.RequestId, None))!;
        Assert.Equal((RefundRequestState.Submitted, 3, false), (done.State, done.Attempt, done.Uncertain));
        // Both retries listed first (the create's uncertainty), and the second also created: three Ping++ calls.
        Assert.Equal(["GET", "GET", "POST"], (await h.Admin.GetApiCallsAsync()).Select(c => c.Method));
    }

    [Fact]
    public async Task A_rate_limited_create_releases_its_claim_as_not_sent_and_the_retry_creates_without_waiting()
    {
        await using var h = await ReconcileHarness.StartAsync();
        var order = await h.Admin.SeedOrderAsync(500);
        var request = new RefundRequest { RequestId = "rate-1", OrderId = order.Id, Description = "rate limited", Charge = order.ChargeIds[0], ChargeAmount = 500 };
        await h.Admin.SetFaultsAsync(new Dictionary<string, FaultSpec> { [FaultInjector.RateLimit] = new() { Next = 1 } });
        await h.Queue.EnqueueAsync(request, None);

        var first = await h.ProcessQueueAsync();
        var released = (await h.Ledger.GetRequestAsync(request.RequestId, None))!;
        var second = await h.ProcessQueueAsync();

        Assert.Empty(first);
        Assert.Equal((RefundRequestState.Received, false), (released.State, released.Uncertain));
        Assert.StartsWith("create: rate_limited", released.LastError, StringComparison.Ordinal);
        Assert.Null(released.LeaseUntil);
        Assert.Equal([RefundProcessingOutcome.Created], second);
        Assert.Single(await h.Admin.GetRefundsAsync());
        // No lookup: the 429 proved the first create was not performed.
        Assert.Equal(["POST", "POST"], (await h.Admin.GetApiCallsAsync()).Select(c => c.Method));
    }

    [Fact]
    public async Task A_release_as_not_sent_keeps_an_uncertainty_inherited_from_an_earlier_attempt()
    {
        await using var h = await ReconcileHarness.StartAsync();
        var (request, sendStarted) = await LostCreateAsync(h, "inherit-1");
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var claim = await h.Ledger.TryBeginSubmitAsync(request.RequestId, h.Time.GetUtcNow(), TimeSpan.FromSeconds(30), None);

        // This attempt never wrote ahead: "not sent" is about this attempt only, not attempt 1's create.
        await h.Ledger.ReleaseClaimAsync(request.RequestId, claim.Request!.Attempt, definitelyNotSent: true, "create: NotSent", None);

        var stored = (await h.Ledger.GetRequestAsync(request.RequestId, None))!;
        Assert.True(claim.MayHaveReachedPingpp);
        Assert.Equal((RefundRequestState.Received, true, sendStarted), (stored.State, stored.Uncertain, stored.LastSendStartedAt));
    }

    [Fact]
    public async Task A_delivery_that_finds_the_claim_held_calls_nothing_and_retries_later()
    {
        await using var h = await ReconcileHarness.StartAsync();
        var order = await h.Admin.SeedOrderAsync(500);
        var request = await h.RecordRequestAsync(order.Id, "held-1", order.ChargeIds[0], 100);
        await h.Ledger.TryBeginSubmitAsync(request.RequestId, h.Time.GetUtcNow(), TimeSpan.FromSeconds(30), None);
        await h.Queue.EnqueueAsync(request, None);

        var whileHeld = await h.ProcessQueueAsync();
        var held = (await h.Ledger.GetRequestAsync(request.RequestId, None))!;
        h.Time.Advance(TimeSpan.FromSeconds(31));
        var afterLease = await h.ProcessQueueAsync();

        Assert.Empty(whileHeld);
        Assert.Equal((RefundRequestState.Submitting, 1), (held.State, held.Attempt));
        Assert.Equal([RefundProcessingOutcome.Created], afterLease);
        Assert.Single(await h.Admin.GetRefundsAsync());
        // Only the second delivery reached Ping++ (no lookup: the expired claim never wrote ahead).
        Assert.Equal(["POST"], (await h.Admin.GetApiCallsAsync()).Select(c => c.Method));
    }
}
