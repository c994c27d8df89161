namespace Refunds.Core.Ledger;

/// <summary>
/// The approval gate the ledger consults when it records a request it has never seen (HTTP submit, queue message,
/// automatic anomaly refund alike): let it through, or hold it in <see cref="RefundRequestState.AwaitingApproval"/>.
/// Called once per new request, never for a redelivery of a recorded one.
/// </summary>
public interface IRequestAdmission
{
    Task<Admission> AdmitAsync(RefundRequestRecord request, CancellationToken ct);
}

/// <summary>The gate's decision: <see cref="HoldReasons"/> empty lets the request through.</summary>
/// <param name="Amount">The amount the gate judged, in fen; null when it could not be known.</param>
/// <param name="Note">Why, for the request's first history entry.</param>
public sealed record Admission(IReadOnlyList<string> HoldReasons, long? Amount, string? Note)
{
    public static readonly Admission LetThrough = new([], null, null);

    public bool Hold => HoldReasons.Count > 0;
}
