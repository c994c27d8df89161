namespace Refunds.Core.Reconciliation;

/// <summary>What one run of <see cref="OrderWatchRechecks"/> did.</summary>
public sealed record OrderWatchSummary
{
    /// <summary>Due rows read (at most <see cref="OrderWatchOptions.RechecksPerRun"/>).</summary>
    public int Due { get; init; }

    public int Rechecked { get; init; }

    /// <summary>Re-checks that threw (Ping++ or storage); retried after the claim's lease.</summary>
    public int Failed { get; init; }

    /// <summary>Due rows of an older watch or step, deleted without a re-check.</summary>
    public int Stale { get; init; }

    /// <summary>Orders whose watch ended in this run: the end row after the window's last re-check came due.</summary>
    public int Left { get; init; }

    public int External { get; init; }
    public int RefundsUpdated { get; init; }
    public int Discrepancies { get; init; }
    public int PingppCalls { get; init; }
    public TimeSpan Duration { get; init; }
}
