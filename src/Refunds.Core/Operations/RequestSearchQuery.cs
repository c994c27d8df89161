using Refunds.Core.Ledger;

namespace Refunds.Core.Operations;

/// <summary>What a search of refund requests asks for; every filter given must hold (docs/operations.md).</summary>
public sealed record RequestSearchQuery
{
    /// <summary>A search with no filter at all covers this many days back from now.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(30);

    public string? OrderId { get; init; }
    public string? RequestId { get; init; }
    public string? RefundId { get; init; }
    public string? ChargeId { get; init; }

    /// <summary>States as stored (<c>DeadLettered</c>); null for any.</summary>
    public IReadOnlySet<string>? Statuses { get; init; }

    public long? MinAmount { get; init; }
    public long? MaxAmount { get; init; }
    public DateTimeOffset? Since { get; init; }

    /// <summary>Exclusive.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>The filters of the search routes (<c>order_id</c>, <c>status</c>, <c>min_amount</c>, …).</summary>
    public static RequestSearchQuery Parse(QueryParameters q)
    {
        ArgumentNullException.ThrowIfNull(q);
        var (since, until) = q.TimeRange();
        var min = q.Amount("min_amount");
        var max = q.Amount("max_amount");
        if (min > max)
        {
            throw new OperatorParameterException("min_amount", "min_amount must not be above max_amount.");
        }

        return new RequestSearchQuery
        {
            OrderId = q.Id("order_id"),
            RequestId = q.Id("request_id"),
            RefundId = q.Id("refund_id"),
            ChargeId = q.Id("charge_id"),
            Statuses = q.List("status", StateNames.All)?.Select(s => StateNames.FromApi(s)!).ToHashSet(StringComparer.Ordinal),
            MinAmount = min,
            MaxAmount = max,
            Since = since,
            Until = until,
        };
    }

    /// <summary>Whether the ledger's record meets every filter (hints only narrow; the record decides).</summary>
    public bool Matches(RefundRequestRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return (OrderId is null || r.OrderId == OrderId)
               && (RequestId is null || r.RequestId == RequestId)
               && (RefundId is null || r.RefundIds.Contains(RefundId, StringComparer.Ordinal))
               && (ChargeId is null || r.Charge == ChargeId)
               && (Statuses is null || Statuses.Contains(r.State.ToString()))
               && (MinAmount is null || r.ChargeAmount >= MinAmount)
               && (MaxAmount is null || r.ChargeAmount <= MaxAmount)
               && (Since is null || r.CreatedAt >= Since)
               && (Until is null || r.CreatedAt < Until);
    }
}

/// <summary>One page of a search, newest first (by created time); pass <see cref="Continuation"/> back for the next.</summary>
public sealed record RequestSearchPage(IReadOnlyList<RefundRequestRecord> Items, string? Continuation);
