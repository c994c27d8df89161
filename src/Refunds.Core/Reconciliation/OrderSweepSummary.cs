namespace Refunds.Core.Reconciliation;

/// <summary>How a run of the order sweep ended.</summary>
public enum OrderSweepOutcome
{
    /// <summary><c>Reconciliation__SweepEnabled</c> is false.</summary>
    Disabled,

    /// <summary>The last sweep completed less than <c>Reconciliation__SweepInterval</c> ago.</summary>
    NotDue,

    /// <summary>The pages per run were read; the sweep continues next run from the stored cursor.</summary>
    InProgress,

    /// <summary>The last page was read: the sweep is complete.</summary>
    Completed,

    /// <summary>Ping++ answered 403/429: stopped, the cursor kept; the next run resumes from the same page.</summary>
    RateLimited,

    /// <summary>A Ping++ or storage failure: stopped, the cursor kept; the page is read again next run.</summary>
    Failed,

    /// <summary>Another run moved the cursor first (overlapping runs): this one stopped.</summary>
    CursorMovedByAnotherRun,
}

/// <summary>What one run of the order sweep did. Counts are of this run only.</summary>
public sealed record OrderSweepSummary
{
    public OrderSweepOutcome Outcome { get; init; }
    public int PagesRead { get; init; }
    public int OrdersListed { get; init; }

    /// <summary>Orders none of our records pointed to with something found on them (recorded once each).</summary>
    public int OrdersFound { get; init; }

    public int AnomalyRefundsEnqueued { get; init; }

    /// <summary>Refunds made by someone else, newly recorded in the ledger as external.</summary>
    public int ExternalRefunds { get; init; }

    public int PingppCalls { get; init; }

    /// <summary>The page the sweep goes on from (0: no sweep under way).</summary>
    public int NextPage { get; init; }

    public TimeSpan Duration { get; init; }
}
