namespace Refunds.Core.Reconciliation;

/// <summary>What one run did. Counts are of this run only.</summary>
public sealed record ReconciliationSummary
{
    public int OrdersChecked { get; init; }

    /// <summary>Orders whose check threw (Ping++ or storage); they stay open for the next run.</summary>
    public int OrdersFailed { get; init; }

    /// <summary>Open-work entries that cannot be checked at Ping++ (external refunds of an unknown order).</summary>
    public int Skipped { get; init; }

    /// <summary>Known refunds whose status changed (pending → succeeded/failed).</summary>
    public int RefundsUpdated { get; init; }

    public int Adopted { get; init; }
    public int ReEnqueued { get; init; }
    public int External { get; init; }

    /// <summary>Discrepancies observed (new or still there).</summary>
    public int Discrepancies { get; init; }

    /// <summary>Abnormal payments observed on the orders retrieved.</summary>
    public int Anomalies { get; init; }

    /// <summary>Anomaly refund requests sent to the refund queue (AutoRefund).</summary>
    public int AnomalyRefundsEnqueued { get; init; }

    public int PingppCalls { get; init; }
    public TimeSpan Duration { get; init; }

    /// <summary>The order or time budget stopped the run before the open-work index was exhausted.</summary>
    public bool BudgetExhausted { get; init; }

    /// <summary>Where the next run continues (null = from the start of the index).</summary>
    public string? Continuation { get; init; }
}
