namespace Refunds.Core.Ledger;

/// <summary>
/// The refund ledger: refund requests (<see cref="IRequestStore"/>), Ping++ refunds (<see cref="IRefundMerge"/>) and the
/// open-work index (<see cref="IOpenWorkIndex"/>). Clients that need one part depend on that part only.
/// </summary>
public interface IRefundLedger : IRequestStore, IRefundMerge, IOpenWorkIndex;
