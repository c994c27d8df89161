namespace Refunds.EndToEndTests;

/// <summary>
/// Place of the 500-refund-requests-under-faults run (issue 7 §2), to be written once the refund processor (queue
/// function + HTTP API) and reconciliation are on main: 500 refund requests through the dev host while the simulator
/// (<c>SimulatorServer</c>, linked here) injects <c>error_before_create</c> rate 0.1, <c>error_after_create</c> or
/// <c>hang_after_create</c> rate 0.05 and webhook <c>duplicate</c> 0.1, <c>reorder</c> 0.1, <c>drop</c> 0.05; then
/// every request is terminal, the simulator holds exactly one refund per request (<c>refund_request_id</c> metadata),
/// and after one reconciliation run every ledger entry agrees with the simulator. Mark it <c>[Trait("Category", "Load")]</c>.
/// </summary>
public sealed class RefundsUnderFaultsTests;
