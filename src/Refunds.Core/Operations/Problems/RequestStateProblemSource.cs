using Refunds.Core.Ledger;
using static Refunds.Core.Ledger.RequestIndexRows;

namespace Refunds.Core.Operations.Problems;

/// <summary>
/// Requests in one state, from the request index's <c>state|{State}</c> partition (newest state-since first), each
/// confirmed by the ledger. With <paramref name="olderThan"/> only requests in the state for longer (<c>stuck</c>).
/// </summary>
public sealed class RequestStateProblemSource(
    string kind, string state, RequestIndex index, IRequestStore ledger, IReadOnlyList<string> actions, TimeSpan? olderThan = null) : IProblemSource
{
    public string Kind => kind;

    public string Name => kind == state ? kind : $"{kind}:{state}";

    public async Task<ProblemSourcePage> ReadAsync(ProblemWindow window, string? cursor, int max, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(window);
        var until = olderThan is { } age && window.Now - age < window.Until ? window.Now - age : window.Until;
        if (until <= window.Since)
        {
            return new ProblemSourcePage([], true);
        }

        var (from, below) = Range(window.Since, until);
        var items = new List<(Problem, string)>();
        var after = cursor;
        while (items.Count < max)
        {
            var page = await index.ReadAsync(StatePartition(Stored), from, below, after, null, max - items.Count, ct).ConfigureAwait(false);
            var records = await index.VerifyAsync(page.Hints, ct).ConfigureAwait(false);
            for (var i = 0; i < records.Count; i++)
            {
                if (records[i] is { } r)
                {
                    items.Add((ToProblem(r, page.Hints[i].At), page.Hints[i].RowKey));
                }
            }

            if (page.After is null)
            {
                return new ProblemSourcePage(items, true);
            }

            after = page.After;
        }

        return new ProblemSourcePage(items, false);
    }

    public async Task<Problem?> FindAsync(string id, CancellationToken ct)
    {
        if (await ledger.GetRequestAsync(id, ct).ConfigureAwait(false) is not { } r || r.State.ToString() != Stored)
        {
            return null;
        }

        return ToProblem(r, r.UpdatedAt);
    }

    private string Stored => StateNames.FromApi(state)!;

    private Problem ToProblem(RefundRequestRecord r, DateTimeOffset since) => new()
    {
        Kind = kind,
        Id = r.RequestId,
        OrderId = r.OrderId,
        RequestId = r.RequestId,
        RefundId = r.RefundIds.Count > 0 ? r.RefundIds[^1] : null,
        Amount = r.ChargeAmount,
        Summary = Summary(r),
        Since = since,
        State = state,
        Actions = [.. actions.Where(a => a != ProblemKinds.Cancel || r.State != RefundRequestState.DeadLettered || r.Attempt == 0)],
        Details = new Dictionary<string, object?>
        {
            ["attempt"] = r.Attempt,
            ["charge"] = r.Charge,
            ["description"] = r.Description,
            ["submitted_by"] = r.SubmittedBy,
            ["last_error"] = r.LastError,
            ["failure_code"] = r.FailureCode,
            ["failure_message"] = r.FailureMessage,
            ["rejection_reasons"] = r.RejectionReasons.Count == 0 ? null : r.RejectionReasons,
            ["created_at"] = r.CreatedAt,
        },
    };

    private string Summary(RefundRequestRecord r) => kind switch
    {
        ProblemKinds.Stuck => $"Request {r.RequestId} has been {state} since {r.UpdatedAt:u}" + (r.LastError is null ? "" : $": {r.LastError}"),
        ProblemKinds.Rejected => $"Request {r.RequestId} was rejected: {string.Join("; ", r.RejectionReasons)}",
        ProblemKinds.Failed => $"Request {r.RequestId} failed at Ping++: {r.FailureCode} {r.FailureMessage}".TrimEnd(),
        ProblemKinds.DeadLettered => $"Request {r.RequestId} was dead-lettered after {r.Attempt} attempt(s): {r.LastError}",
        ProblemKinds.AwaitingApproval => $"Request {r.RequestId} of {r.ChargeAmount} fen waits for approval",
        _ => $"Request {r.RequestId} needs review: {r.LastError}",
    };
}
