using Refunds.Core.Ledger;
using Refunds.IntegrationTests.Support;
using static Refunds.IntegrationTests.Operations.ApprovalLedger;

namespace Refunds.IntegrationTests.Operations;

/// <summary>
/// The approval gate at the ledger's create, on Azurite: each limit at its boundary, the daily total under concurrency
/// and across the UTC day, whole-order amounts read from the simulator, and failing closed when they cannot be read.
/// </summary>
public sealed class ApprovalGateTests(SharedSimulator simulator) : IClassFixture<SharedSimulator>
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task A_request_at_the_per_request_limit_goes_through_and_one_fen_more_waits_without_a_claim_or_open_work()
    {
        var a = new ApprovalLedger(perRequest: 1000, perDay: 1_000_000);

        var atLimit = await a.Ledger.CreateClaimedRequestAsync(Request("r-at", "2011609290000000101", 1000), a.Time.GetUtcNow(), TimeSpan.FromMinutes(2), None);
        var over = await a.Ledger.CreateClaimedRequestAsync(Request("r-over", "2011609290000000102", 1001), a.Time.GetUtcNow(), TimeSpan.FromMinutes(2), None);

        Assert.Equal((true, RefundRequestState.Submitting), (atLimit.Created, atLimit.Request.State));
        Assert.Null(atLimit.Request.Approval);
        Assert.Equal((true, RefundRequestState.AwaitingApproval, 0, false), (over.Created, over.Request.State, over.Request.Attempt, over.Request.Uncertain));
        Assert.Equal([RequestApproval.PerRequestLimit], over.Request.Approval!.Reasons);
        Assert.Equal((1001L, (string?)null), (over.Request.Approval.Amount, over.Request.Approval.Decision));
        // Only what went through counts towards the day.
        Assert.Equal(1000, await a.Counter.ReadAsync(a.Today, None));
        // Not open work (nothing at Ping++), and a claim is refused: nothing can be sent.
        Assert.DoesNotContain("2011609290000000102", await a.OpenOrdersAsync());
        Assert.Contains("2011609290000000101", await a.OpenOrdersAsync());
        Assert.Equal(SubmitClaimOutcome.NotClaimable, (await a.Ledger.TryBeginSendAsync(over.Request, a.Time.GetUtcNow(), TimeSpan.FromMinutes(2), None)).Outcome);
        // A redelivery finds it as it is and is not gated (or counted) again.
        var again = await a.Ledger.CreateRequestAsync(Request("r-over", "2011609290000000102", 1001), None);
        Assert.Equal((false, RefundRequestState.AwaitingApproval), (again.Created, again.Request.State));
        Assert.Equal(1000, await a.Counter.ReadAsync(a.Today, None));
    }

    [Fact]
    public async Task The_daily_limit_lets_through_up_to_its_exact_total_holds_the_next_fen_and_starts_again_on_the_next_utc_day()
    {
        var a = new ApprovalLedger(perRequest: 1000, perDay: 1500);
        a.Time.SetUtcNow(new DateTimeOffset(2026, 12, 6, 23, 59, 0, TimeSpan.Zero));

        Assert.Equal(RefundRequestState.Received, (await a.Ledger.CreateRequestAsync(Request("d1", "2011609290000000111", 1000), None)).Request.State);
        Assert.Equal(RefundRequestState.Received, (await a.Ledger.CreateRequestAsync(Request("d2", "2011609290000000112", 500), None)).Request.State);
        var next = (await a.Ledger.CreateRequestAsync(Request("d3", "2011609290000000113", 1), None)).Request;
        // Over both: the per-request limit is named, and the daily one it would also cross.
        var both = (await a.Ledger.CreateRequestAsync(Request("d4", "2011609290000000114", 1001), None)).Request;

        Assert.Equal((RefundRequestState.AwaitingApproval, RequestApproval.DailyLimit), (next.State, Assert.Single(next.Approval!.Reasons)));
        Assert.Equal([RequestApproval.PerRequestLimit, RequestApproval.DailyLimit], both.Approval!.Reasons);
        Assert.Equal(1500, await a.Counter.ReadAsync(a.Today, None));

        a.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(RefundRequestState.Received, (await a.Ledger.CreateRequestAsync(Request("d5", "2011609290000000115", 1000), None)).Request.State);
        Assert.Equal(1000, await a.Counter.ReadAsync(a.Today, None));
    }

    [Fact]
    public async Task Concurrent_requests_from_several_instances_never_let_more_than_the_daily_limit_through()
    {
        // Four hosts (each its own gate and counter on the same tables), 40 requests of 100 fen at once, 1000 fen a day:
        // the ETag on the day's total decides between the hosts.
        var a = new ApprovalLedger(perRequest: 1000, perDay: 1000);
        ApprovalLedger[] hosts = [a, new(1000, 1000, shareWith: a), new(1000, 1000, shareWith: a), new(1000, 1000, shareWith: a)];
        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() =>
            hosts[i % hosts.Length].Ledger.CreateRequestAsync(Request($"c{i:D2}", $"20116092900000002{i:D2}", 100), None))));

        Assert.Equal(10, results.Count(r => r.Request.State == RefundRequestState.Received));
        Assert.Equal(30, results.Count(r => r.Request is { State: RefundRequestState.AwaitingApproval, Approval.Reasons: [RequestApproval.DailyLimit] }));
        Assert.Equal(1000, await a.Counter.ReadAsync(a.Today, None));
    }

    [Fact]
    public async Task A_whole_order_refund_is_judged_by_what_remains_refundable_at_pingpp()
    {
        var a = new ApprovalLedger(perRequest: 1000, perDay: 1_000_000, pingpp: simulator.Server.CreateClient());
        var small = await simulator.Server.Admin.SeedOrderAsync(800);
        var large = await simulator.Server.Admin.SeedOrderAsync(5000);

        var wholeSmall = (await a.Ledger.CreateRequestAsync(Request("w-small", small.Id, null, charge: null), None)).Request;
        var wholeLarge = (await a.Ledger.CreateRequestAsync(Request("w-large", large.Id, null, charge: null), None)).Request;
        var wholeCharge = (await a.Ledger.CreateRequestAsync(Request("w-charge", large.Id, null, charge: large.ChargeIds[0]), None)).Request;

        Assert.Equal(RefundRequestState.Received, wholeSmall.State);
        Assert.Equal(800, await a.Counter.ReadAsync(a.Today, None));
        Assert.Equal((RefundRequestState.AwaitingApproval, 5000L), (wholeLarge.State, wholeLarge.Approval!.Amount));
        Assert.Equal((RefundRequestState.AwaitingApproval, 5000L), (wholeCharge.State, wholeCharge.Approval!.Amount));
    }

    [Fact]
    public async Task A_whole_order_refund_whose_amount_cannot_be_read_waits_for_approval()
    {
        // Ping++ does not know the order (404), and, on another ledger, Ping++ cannot be reached at all.
        var unknownOrder = new ApprovalLedger(perRequest: 1_000_000, perDay: 10_000_000, pingpp: simulator.Server.CreateClient());
        var unreachable = new ApprovalLedger(perRequest: 1_000_000, perDay: 10_000_000,
            pingpp: simulator.Server.CreateClient(new Dictionary<string, string?> { ["Pingpp:ApiBase"] = "http://127.0.0.1:9/", ["Pingpp:MaxReadRetries"] = "0" }));

        foreach (var a in new[] { unknownOrder, unreachable })
        {
            var held = (await a.Ledger.CreateRequestAsync(Request("w-unknown", "2011609290000009999", null, charge: null), None)).Request;
            Assert.Equal((RefundRequestState.AwaitingApproval, RequestApproval.AmountUnknown), (held.State, Assert.Single(held.Approval!.Reasons)));
            Assert.Null(held.Approval.Amount);
            Assert.Equal(0, await a.Counter.ReadAsync(a.Today, None));
        }
    }
}
