using Azure.Data.Tables;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using static Refunds.IntegrationTests.Operations.ApprovalLedger;

namespace Refunds.IntegrationTests.Operations;

/// <summary>
/// Operator moves and the history on Azurite: approve/deny/cancel races end with exactly one move applied, every state
/// change appends exactly one entry in its own transaction, entries are never rewritten, and order reads never see them.
/// </summary>
public sealed class RequestHistoryTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Of_an_approve_and_a_cancel_racing_on_a_held_request_exactly_one_applies_and_only_it_is_in_the_history()
    {
        var a = new ApprovalLedger(perRequest: 100, perDay: 1_000_000);
        var ids = Enumerable.Range(0, 12).Select(i => $"race{i:D2}").ToList();
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            Assert.Equal(RefundRequestState.AwaitingApproval, (await a.Ledger.CreateRequestAsync(Request(id, $"20116092900000003{i:D2}", 5000), None)).Request.State);
        }

        var outcomes = await Task.WhenAll(ids.Select(async (id, i) =>
        {
            // Half the races pit a deny against the approve, half a cancel; both directions of start order.
            var other = i % 2 == 0 ? OperatorMove.Cancel : OperatorMove.Deny;
            var moves = i % 4 < 2 ? new[] { OperatorMove.Approve, other } : [other, OperatorMove.Approve];
            var results = await Task.WhenAll(moves.Select(m => Task.Run(() => a.Ledger.ApplyOperatorMoveAsync(id, m, $"operator:key:{m}", "race", None))));
            return (id, moves, results);
        }));

        foreach (var (id, moves, results) in outcomes)
        {
            Assert.Equal(1, results.Count(r => r.Outcome == RequestUpdateOutcome.Updated));
            Assert.Equal(1, results.Count(r => r.Outcome == RequestUpdateOutcome.NotAllowed));
            var winner = moves[Array.FindIndex(results, r => r.Outcome == RequestUpdateOutcome.Updated)];
            var found = (await a.Ledger.GetRequestWithHistoryAsync(id, None))!;
            Assert.Equal(winner == OperatorMove.Approve ? RefundRequestState.Received : RefundRequestState.Canceled, found.Request.State);
            var decision = Assert.Single(found.History, h => h.Actor.StartsWith("operator:", StringComparison.Ordinal));
            Assert.Equal(($"operator:key:{winner}", RefundRequestState.AwaitingApproval), (decision.Actor, decision.From));
            Assert.Equal($"operator:key:{winner}", found.Request.Approval!.DecidedBy);
        }
    }

    [Fact]
    public async Task Every_state_change_appends_one_entry_with_its_actor_and_reason_and_earlier_entries_are_never_rewritten()
    {
        var a = new ApprovalLedger(perRequest: 1000, perDay: 1_000_000);
        const string order = "2011609290000000401";
        using (RequestActor.Begin(RequestActor.Function("ProcessRefundRequest")))
        {
            await a.Ledger.CreateRequestAsync(Request("h1", order, 300), None);
            a.Time.Advance(TimeSpan.FromSeconds(1));
            var claim = await a.Ledger.TryBeginSendAsync(Request("h1", order, 300), a.Time.GetUtcNow(), TimeSpan.FromMinutes(2), None);
            Assert.Equal(SubmitClaimOutcome.Claimed, claim.Outcome);
        }

        var before = await HistoryRowsAsync(a, order);
        a.Time.Advance(TimeSpan.FromSeconds(1));
        // Webhooks and reconciliation act as the system.
        await a.Ledger.RecordSubmittedAsync("h1", [Refund("re_h1", PingppRefundStatus.Pending, "h1")], None);
        await a.Ledger.ApplyRefundAsync(Refund("re_h1", PingppRefundStatus.Succeeded, "h1"), order, None);

        var found = (await a.Ledger.GetRequestWithHistoryAsync("h1", None))!;
        Assert.Equal(
            [
                (null, RefundRequestState.Received, "function:ProcessRefundRequest"),
                (RefundRequestState.Received, RefundRequestState.Submitting, "function:ProcessRefundRequest"),
                (RefundRequestState.Submitting, RefundRequestState.Submitted, RequestActor.System),
                (RefundRequestState.Submitted, RefundRequestState.Succeeded, RequestActor.System),
            ],
            found.History.Select(h => (h.From, h.To, h.Actor)));
        Assert.Equal([1, 2, 3, 4], found.History.Select(h => h.Seq));
        Assert.Equal(found.History.Count, found.Request.HistoryCount);
        Assert.StartsWith("recorded: 300 fen", found.History[0].Reason, StringComparison.Ordinal);
        Assert.Equal("claimed, attempt 1", found.History[1].Reason);
        Assert.Contains("re_h1 Succeeded", found.History[3].Reason, StringComparison.Ordinal);
        // The rows written before are exactly as they were (same ETag: never updated or replaced).
        var after = await HistoryRowsAsync(a, order);
        Assert.All(before, row => Assert.Equal(row.ETag, after.Single(r => r.RowKey == row.RowKey).ETag));
        // Order reads see the request and its refund, never a history row.
        var ledger = await a.Ledger.ListOrderAsync(order, None);
        Assert.Equal(("h1", "re_h1"), (Assert.Single(ledger.Requests).RequestId, Assert.Single(ledger.Refunds).RefundId));
    }

    [Fact]
    public async Task A_change_that_loses_its_race_writes_no_entry_and_a_refused_operator_move_writes_none_either()
    {
        var a = new ApprovalLedger(perRequest: 1000, perDay: 1_000_000);
        const string order = "2011609290000000402";
        var request = Request("h2", order, 300);
        await a.Ledger.CreateRequestAsync(request, None);

        // Eight processors claim at once: one claim, one entry for it.
        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            new RefundLedger(Azurite.Tables(), a.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger<RefundLedger>.Instance, a.LedgerTableName, Azurite.UniqueTable("raceidx"))
                .TryBeginSendAsync(request, a.Time.GetUtcNow(), TimeSpan.FromMinutes(2), None))));
        Assert.Equal(1, claims.Count(c => c.Outcome == SubmitClaimOutcome.Claimed));

        // A cancel of a request that may have reached Ping++ (a create was started) is refused and leaves no entry.
        var cancel = await a.Ledger.ApplyOperatorMoveAsync("h2", OperatorMove.Cancel, "operator:key:master", "too late", None);
        Assert.Equal((RequestUpdateOutcome.NotAllowed, RefundRequestState.Submitting), (cancel.Outcome, cancel.Request!.State));

        var found = (await a.Ledger.GetRequestWithHistoryAsync("h2", None))!;
        Assert.Equal([RefundRequestState.Received, RefundRequestState.Submitting], found.History.Select(h => h.To));
        Assert.Equal(2, (await HistoryRowsAsync(a, order)).Count);
    }

    private static async Task<List<TableEntity>> HistoryRowsAsync(ApprovalLedger a, string partition)
    {
        var rows = new List<TableEntity>();
        var table = Azurite.Tables().GetTableClient(a.LedgerTableName);
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partition}")))
        {
            if (row.RowKey.StartsWith("hist|", StringComparison.Ordinal))
            {
                rows.Add(row);
            }
        }

        return rows;
    }

    private static PingppRefund Refund(string id, PingppRefundStatus status, string requestId) => new()
    {
        Id = id,
        Amount = 300,
        Status = status,
        Succeed = status == PingppRefundStatus.Succeeded,
        Charge = "ch_1",
        Metadata = new Dictionary<string, string> { [PingppMetadata.RequestId] = requestId },
    };
}
