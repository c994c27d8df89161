using Azure.Data.Tables;
using Refunds.Core.Ledger;
using Refunds.Core.Operations;
using Refunds.Core.Pingpp;

namespace Refunds.IntegrationTests.Operations;

/// <summary>Search over the request index on Azurite: every filter returns exactly the ledger's matching requests, page after page.</summary>
public sealed class RequestSearchTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly Refunds.Core.Operations.Problems.ProblemsQuery DeadLetteredProblems = new(["dead_lettered"], null, null, false);

    [Fact]
    public async Task Each_filter_returns_exactly_the_matching_requests_across_orders_days_and_pages()
    {
        using var rig = new OperationsRig();
        var run = Guid.NewGuid().ToString("N")[..8];
        var (chargeA, chargeB) = ("ch_a" + run, "ch_b" + run);
        var ids = new List<string>();
        foreach (var i in Enumerable.Range(0, 30).OrderBy(i => i % 3).ThenBy(i => i))
        {
            rig.Time.SetUtcNow(OperationsRig.Start.AddDays(i % 3).AddMinutes(i));
            var id = $"s{i:D2}-{run}";
            ids.Add(id);
            await rig.CreateAsync(id, $"ord{i % 4}-{run}", i % 2 == 0 ? chargeA : chargeB, 100 * (i + 1));
            switch (i % 5)
            {
                case 1:
                    await rig.Ledger.RecordDeadLetteredAsync(id, "poisoned", None);
                    break;
                case 2:
                    var claim = await rig.Ledger.TryBeginSubmitAsync(id, rig.Time.GetUtcNow(), TimeSpan.FromMinutes(5), None);
                    await rig.Ledger.RecordFailedAsync(id, claim.Request!.Attempt, "channel_error", "refused", None);
                    break;
                case 3:
                    await rig.Ledger.TryBeginSubmitAsync(id, rig.Time.GetUtcNow(), TimeSpan.FromMinutes(5), None);
                    await rig.Ledger.RecordSubmittedAsync(id, [Refund("re_" + id, id, 100 * (i + 1), i % 2 == 0 ? chargeA : chargeB)], None);
                    break;
            }
        }

        // A rejected message without a usable order id lives in a partition of its own.
        rig.Time.SetUtcNow(OperationsRig.Start.AddDays(2).AddHours(5));
        var rejectedId = "rej-" + run;
        await rig.Ledger.RecordRejectedAsync(new RefundRejection { Id = rejectedId, Reasons = ["amount: missing"], RawText = "{}" }, None);
        ids.Add(rejectedId);
        rig.Time.SetUtcNow(OperationsRig.Start.AddDays(4));
        var truth = new List<RefundRequestRecord>();
        foreach (var id in ids)
        {
            truth.Add((await rig.Ledger.GetRequestAsync(id, None))!);
        }

        var day1 = OperationsRig.Start.Date.AddDays(1);
        RequestSearchQuery[] queries =
        [
            new(),
            new() { OrderId = $"ord1-{run}" },
            new() { RequestId = $"s07-{run}" },
            new() { RefundId = $"re_s08-{run}" },
            new() { ChargeId = chargeA },
            new() { Statuses = new HashSet<string> { "DeadLettered" } },
            new() { Statuses = new HashSet<string> { "Failed", "Submitted", "Rejected" } },
            new() { MinAmount = 500, MaxAmount = 1500 },
            new() { Since = new DateTimeOffset(day1, TimeSpan.Zero), Until = new DateTimeOffset(day1.AddDays(1), TimeSpan.Zero) },
            new() { Since = OperationsRig.Start.AddMinutes(10), Until = OperationsRig.Start.AddDays(2).AddMinutes(20) },
            new() { ChargeId = chargeB, Statuses = new HashSet<string> { "Received" }, MinAmount = 1000 },
            new() { OrderId = $"ord2-{run}", Statuses = new HashSet<string> { "Received", "Failed" } },
        ];
        foreach (var query in queries)
        {
            var expected = truth.Where(query.Matches).OrderBy(r => RequestIndexRows.RowKey(r.CreatedAt, r.RequestId), StringComparer.Ordinal).Select(r => r.RequestId).ToList();
            var found = (await rig.SearchAllAsync(query, pageSize: 4)).Select(r => r.RequestId).ToList();

            Assert.True(expected.Count > 0 || query.RequestId is not null, $"a query with no match proves little: {query}");
            Assert.Equal(expected, found);
        }

        // The records shown are the ledger's, not the hints'.
        var deadLettered = await rig.SearchAllAsync(new RequestSearchQuery { Statuses = new HashSet<string> { "DeadLettered" } }, 50);
        Assert.All(deadLettered, r => Assert.Equal(RefundRequestState.DeadLettered, r.State));
        Assert.Equal(6, deadLettered.Count);
    }

    [Fact]
    public async Task A_crash_between_the_index_write_and_the_ledger_write_leaves_an_extra_hint_that_readers_filter_out_and_clean_never_a_missing_one()
    {
        using var rig = new OperationsRig();
        var run = Guid.NewGuid().ToString("N")[..8];
        var orderId = "ord-" + run;
        var request = await rig.CreateAsync("crash-" + run, orderId, "ch_" + run, 700);

        // A move to DeadLettered that crashed after its index write: the ledger still says Received.
        await rig.Index.BeforeAsync(orderId, RefundRequestState.Received, request with { State = RefundRequestState.DeadLettered }, None);
        // A create that crashed after its index write: the ledger has no such request.
        var ghost = request with { RequestId = "ghost-" + run, CreatedAt = rig.Time.GetUtcNow() };
        await rig.Index.BeforeAsync(orderId, null, ghost, None);

        var received = new RequestSearchQuery { Statuses = new HashSet<string> { "Received" } };
        var deadLettered = new RequestSearchQuery { Statuses = new HashSet<string> { "DeadLettered" } };
        Assert.Equal([request.RequestId], (await rig.SearchAllAsync(received, 10)).Select(r => r.RequestId));
        Assert.Empty(await rig.SearchAllAsync(deadLettered, 10));
        Assert.Equal([request.RequestId], (await rig.SearchAllAsync(new RequestSearchQuery(), 10)).Select(r => r.RequestId));
        Assert.Empty(await rig.ProblemsAllAsync(DeadLetteredProblems, 10));
        // Young hints may belong to writes in flight: readers leave them.
        Assert.Equal(1, await CountAsync(rig.IndexTable, "state|DeadLettered"));
        Assert.Equal(2, await CountAsync(rig.IndexTable, "state|Received"));

        rig.Time.Advance(RequestIndex.SettleWindow + TimeSpan.FromMinutes(1));
        Assert.Empty(await rig.SearchAllAsync(deadLettered, 10));
        Assert.Empty(await rig.SearchAllAsync(new RequestSearchQuery { RequestId = ghost.RequestId }, 10));
        Assert.DoesNotContain(ghost.RequestId, (await rig.SearchAllAsync(new RequestSearchQuery(), 10)).Select(r => r.RequestId));
        Assert.Empty(await rig.ProblemsAllAsync(DeadLetteredProblems, 10));

        // Cleaned: the day row hints only the ledger's state, the stale state rows and the ghost's rows are gone.
        var day = rig.IndexTable.Query<TableEntity>(e => e.PartitionKey.CompareTo("day|") >= 0 && e.PartitionKey.CompareTo("day}") < 0).ToList();
        var row = Assert.Single(day);
        Assert.Equal(request.RequestId, row.GetString("RequestId"));
        Assert.Equal(["St_Received"], row.Keys.Where(k => k.StartsWith("St_", StringComparison.Ordinal)));
        Assert.Equal(0, await CountAsync(rig.IndexTable, "state|DeadLettered"));
        Assert.Equal(1, await CountAsync(rig.IndexTable, "state|Received"));
        // And the request is still found by what the ledger says.
        Assert.Equal([request.RequestId], (await rig.SearchAllAsync(received, 10)).Select(r => r.RequestId));
    }

    [Fact]
    public async Task Every_state_change_through_the_ledger_moves_the_request_between_state_partitions_without_leaving_rows_behind()
    {
        using var rig = new OperationsRig();
        var run = Guid.NewGuid().ToString("N")[..8];
        var request = await rig.CreateAsync("life-" + run, "ord-" + run, "ch_" + run, 300);
        var claim = await rig.Ledger.TryBeginSubmitAsync(request.RequestId, rig.Time.GetUtcNow(), TimeSpan.FromMinutes(5), None);
        await rig.Ledger.RecordSubmittedAsync(request.RequestId, [Refund("re_" + run, request.RequestId, 300, "ch_" + run)], None);
        await rig.Ledger.ApplyRefundAsync(Refund("re_" + run, request.RequestId, 300, "ch_" + run) with { Status = PingppRefundStatus.Succeeded, Succeed = true }, request.OrderId, None);

        Assert.Equal(1, claim.Request!.Attempt);
        Assert.Equal(RefundRequestState.Succeeded, (await rig.Ledger.GetRequestAsync(request.RequestId, None))!.State);
        var states = rig.IndexTable.Query<TableEntity>(e => e.PartitionKey.CompareTo("state|") >= 0 && e.PartitionKey.CompareTo("state}") < 0).Select(e => e.PartitionKey).ToList();
        Assert.Empty(states); // succeeded requests have no state row: found by their day row's hint
        Assert.Equal([request.RequestId], (await rig.SearchAllAsync(new RequestSearchQuery { Statuses = new HashSet<string> { "Succeeded" } }, 10)).Select(r => r.RequestId));
        var day = Assert.Single(rig.IndexTable.Query<TableEntity>(e => e.PartitionKey.CompareTo("day|") >= 0 && e.PartitionKey.CompareTo("day}") < 0));
        Assert.Equal("Succeeded", day.GetString("Status"));
        Assert.Equal(["St_Succeeded"], day.Keys.Where(k => k.StartsWith("St_", StringComparison.Ordinal)));
        Assert.Single(rig.IndexTable.Query<TableEntity>(e => e.PartitionKey == "charge|ch_" + run));
    }

    [Fact]
    public async Task Daily_stats_count_each_days_requests_by_outcome_with_every_day_present()
    {
        using var rig = new OperationsRig();
        var run = Guid.NewGuid().ToString("N")[..8];
        await rig.CreateAsync("d0a-" + run, "ord-" + run, "ch_" + run, 100);
        var failed = await rig.CreateAsync("d0b-" + run, "ord-" + run, "ch_" + run, 250);
        var claim = await rig.Ledger.TryBeginSubmitAsync(failed.RequestId, rig.Time.GetUtcNow(), TimeSpan.FromMinutes(5), None);
        await rig.Ledger.RecordFailedAsync(failed.RequestId, claim.Request!.Attempt, "x", "refused", None);
        rig.Time.Advance(TimeSpan.FromDays(2));
        await rig.CreateAsync("d2a-" + run, "ord-" + run, "ch_" + run, 40);

        var days = await rig.Stats.ReadAsync(3, None);

        Assert.Equal(["2026-12-01", "2026-12-02", "2026-12-03"], days.Select(d => d.Date));
        Assert.Equal(new StatsOutcome(1, 100), days[0].Outcomes["received"]);
        Assert.Equal(new StatsOutcome(1, 250), days[0].Outcomes["failed"]);
        Assert.Empty(days[1].Outcomes);
        Assert.Equal(new StatsOutcome(1, 40), Assert.Single(days[2].Outcomes).Value);
    }

    internal static PingppRefund Refund(string refundId, string requestId, long amount, string charge) => new()
    {
        Id = refundId,
        Amount = amount,
        Status = PingppRefundStatus.Pending,
        Charge = charge,
        Metadata = new Dictionary<string, string> { [PingppMetadata.RequestId] = requestId },
    };

    private static async Task<int> CountAsync(TableClient table, params string[] partitions)
    {
        var count = 0;
        foreach (var partition in partitions)
        {
            await foreach (var _ in table.QueryAsync<TableEntity>(e => e.PartitionKey == partition))
            {
                count++;
            }
        }

        return count;
    }
}
