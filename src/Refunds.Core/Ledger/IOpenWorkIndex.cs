namespace Refunds.Core.Ledger;

/// <summary>The open-work index: what reconciliation must look at, and the marks that put an order there.</summary>
public interface IOpenWorkIndex
{
    Task MarkOrderForReconciliationAsync(string orderId, string reason, CancellationToken ct);

    /// <summary>Clears the reconciliation mark if it was not renewed after <paramref name="markedAtOrBefore"/>; returns whether it cleared.</summary>
    Task<bool> ClearReconciliationMarkAsync(string ledgerKey, DateTimeOffset markedAtOrBefore, CancellationToken ct);

    /// <summary>Open work only, paged: reconciliation costs O(open), not O(history).</summary>
    Task<OpenWorkPage> ListOpenWorkAsync(int maxItems, string? continuation, CancellationToken ct);

    /// <summary>Recomputes whether a ledger partition has open work and updates the index; returns whether it is open.</summary>
    Task<bool> RefreshOpenWorkAsync(string ledgerKey, CancellationToken ct);
}
