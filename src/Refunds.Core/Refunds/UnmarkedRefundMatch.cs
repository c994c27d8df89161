using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;

namespace Refunds.Core.Refunds;

/// <summary>What the order's refunds without our marker say about an uncertain create: adopt these, park it, or nothing.</summary>
public sealed record UnmarkedRefundMatch(IReadOnlyList<PingppRefund> Adopt, string? ReviewReason)
{
    public static readonly UnmarkedRefundMatch None = new([], null);

    /// <summary>
    /// Ping++'s <c>created</c> is in whole seconds and its clock is not ours: a refund created this much before the
    /// request was recorded still counts as possibly ours.
    /// </summary>
    public static readonly TimeSpan ClockTolerance = TimeSpan.FromSeconds(5);

    /// <summary>
    /// For a request whose create may have reached Ping++ (<see cref="RefundRequestRecord.Uncertain"/>) and whose
    /// marker is on no listed refund (Ping++ did not echo our metadata): while it is uncertain it holds the order's
    /// create lock, so a refund that appeared on the order after the request was recorded, without any marker, that no
    /// other request of ours owns, and that has the request's charge and amount, can only be its own or one made
    /// outside the app. Exactly one such refund → adopt it. More than one, or the request names no charge (a refund of
    /// every charge: one refund per charge, amounts not known here) while such refunds exist → review by a person.
    /// None → nothing (the caller waits for the grace period, then creates again).
    /// </summary>
    /// <param name="ownedByOthers">Refund ids the ledger links to other requests.</param>
    public static UnmarkedRefundMatch Find(RefundRequestRecord request, IEnumerable<PingppRefund> listed, IReadOnlySet<string> ownedByOthers)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(listed);
        ArgumentNullException.ThrowIfNull(ownedByOthers);
        var since = (request.CreatedAt - ClockTolerance).ToUnixTimeSeconds();
        var unmarked = listed
            .Where(r => r.RequestId is null && !ownedByOthers.Contains(r.Id) && (r.Created == 0 || r.Created >= since))
            .ToList();
        if (unmarked.Count == 0)
        {
            return None;
        }

        if (request.Charge is null)
        {
            return new([], $"{unmarked.Count} refund(s) without our marker appeared on the order after the request ({string.Join(", ", unmarked.Select(r => r.Id))}); "
                           + "a refund of every charge cannot be matched by amount");
        }

        var matching = unmarked
            .Where(r => string.Equals(r.Charge, request.Charge, StringComparison.Ordinal) && (request.ChargeAmount is not { } amount || r.Amount == amount))
            .ToList();
        return matching.Count switch
        {
            0 => None,
            1 => new([matching[0]], null),
            _ => new([], $"{matching.Count} refunds without our marker match charge {request.Charge} and amount {request.ChargeAmount?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(remaining)"}: "
                         + string.Join(", ", matching.Select(r => r.Id))),
        };
    }
}
