using Microsoft.Extensions.Options;
using Refunds.Core.Ledger;

namespace Refunds.Core.Operations;

/// <summary>
/// The approval limits (<see cref="ApprovalOptions"/>) as the ledger's <see cref="IRequestAdmission"/>: every new
/// request (HTTP, queue, automatic anomaly refund) is let through only when its amount is at most the per-request
/// limit and fits into the day's remaining allowance, which it then takes (<see cref="DailyApprovalCounter"/>).
/// Otherwise, or when its amount cannot be known, it is held for an operator. Fails closed: an error here fails the
/// recording (retried), it never lets a request through unchecked.
/// </summary>
public sealed class ApprovalGate(IOptions<ApprovalOptions> options, DailyApprovalCounter counter, RefundAmountResolver amounts, TimeProvider time)
    : IRequestAdmission
{
    public async Task<Admission> AdmitAsync(RefundRequestRecord request, CancellationToken ct)
    {
        var limits = options.Value;
        if (await amounts.ResolveAsync(request, ct).ConfigureAwait(false) is not { } amount)
        {
            return new Admission([RequestApproval.AmountUnknown], null,
                "awaiting approval: the amount of this whole-order refund could not be read from Ping++");
        }

        var day = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        List<string> reasons = [];
        long today;
        if (amount > limits.MaxAmountPerRequest)
        {
            reasons.Add(RequestApproval.PerRequestLimit);
            today = await counter.ReadAsync(day, ct).ConfigureAwait(false);
        }
        else
        {
            var (charged, before) = await counter.TryChargeAsync(day, amount, limits.MaxAmountPerDay, ct).ConfigureAwait(false);
            if (charged)
            {
                return new Admission([], amount, $"recorded: {amount} fen, within the limits ({before + amount} of {limits.MaxAmountPerDay} fen today)");
            }

            today = before;
        }

        if (today + amount > limits.MaxAmountPerDay)
        {
            reasons.Add(RequestApproval.DailyLimit);
        }

        return new Admission(reasons, amount,
            $"awaiting approval: {amount} fen ({string.Join(", ", reasons)}; per request {limits.MaxAmountPerRequest}, per day {limits.MaxAmountPerDay}, {today} fen let through today)");
    }
}
