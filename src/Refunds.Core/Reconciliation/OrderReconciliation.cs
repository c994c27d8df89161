using System.Globalization;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;

namespace Refunds.Core.Reconciliation;

/// <summary>What to do for one order, decided from the ledger's view and Ping++'s (see <see cref="OrderReconciliation.Decide"/>).</summary>
public sealed record OrderReconciliationPlan
{
    /// <summary>Refunds to merge with <see cref="IRefundLedger.ApplyRefundAsync"/>: a pending one that ended, or one the ledger has never seen.</summary>
    public IReadOnlyList<PingppRefund> Apply { get; init; } = [];

    /// <summary>Requests stuck before "submitted" whose refunds exist at Ping++ (found by the request id in metadata).</summary>
    public IReadOnlyList<(string RequestId, IReadOnlyList<PingppRefund> Refunds)> Adopt { get; init; } = [];

    /// <summary>Requests with no refund at Ping++ after the grace period: to hand back to the refund queue.</summary>
    public IReadOnlyList<RefundRequestRecord> HandBack { get; init; } = [];

    /// <summary>Uncertain requests whose order's unmarked refunds cannot tell which is theirs: to park for a person (NeedsReview).</summary>
    public IReadOnlyList<(string RequestId, string Reason)> Park { get; init; } = [];

    public IReadOnlyList<Discrepancy> Discrepancies { get; init; } = [];

    /// <summary>Requests left alone for now (live lease, or still inside the grace period).</summary>
    public int Waiting { get; init; }
}

/// <summary>
/// The pure decisions of reconciliation for one order. Rules:
/// <list type="bullet">
/// <item>A pending refund that Ping++ reports final is applied (status, failure code and message come with it).</item>
/// <item>A refund the ledger does not know is applied: the ledger links it to our request by the metadata request id,
/// or records it as external.</item>
/// <item>A request in Received, in Submitting with an expired lease, or dead-lettered after an attempt, whose request id
/// is on refunds at Ping++, is adopted. Without any such refund: Received or Submitting requests are handed back once the
/// grace period has passed since the last change (Received) or since the claim (Submitting); dead-lettered ones wait
/// for an operator. A Submitting request with a live lease belongs to the processor and is not touched.</item>
/// <item>Disagreements that a later report cannot explain become discrepancies: final statuses that differ, a final
/// status in the ledger while Ping++ still says pending, different amounts, a ledger refund Ping++ does not list, and
/// (when the order was retrieved and no refund is pending) <c>amount_refunded</c> ≠ the sum of succeeded refunds.</item>
/// </list>
/// </summary>
public static class OrderReconciliation
{
    public static OrderReconciliationPlan Decide(
        OrderLedger ledger, IReadOnlyList<PingppRefund> atPingpp, PingppOrder? order, DateTimeOffset now, TimeSpan gracePeriod)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(atPingpp);
        var orderId = ledger.OrderId;
        var known = ledger.Refunds.ToDictionary(r => r.RefundId, StringComparer.Ordinal);
        var requests = ledger.Requests.ToDictionary(r => r.RequestId, StringComparer.Ordinal);
        var byRequest = atPingpp.Where(r => r.RequestId is not null).ToLookup(r => r.RequestId!, StringComparer.Ordinal);

        var adopt = new List<(string, IReadOnlyList<PingppRefund>)>();
        var handBack = new List<RefundRequestRecord>();
        var park = new List<(string, string)>();
        var adoptedUnmarked = new HashSet<string>(StringComparer.Ordinal);
        var waiting = 0;
        var adoptedRequests = new HashSet<string>(StringComparer.Ordinal);
        var processorOwned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var request in ledger.Requests)
        {
            var found = byRequest[request.RequestId].ToList();
            var leaseLive = request.State == RefundRequestState.Submitting && request.LeaseUntil > now;
            var adoptable = request.State switch
            {
                RefundRequestState.Received or RefundRequestState.NeedsReview => true,
                RefundRequestState.Submitting => !leaseLive,
                RefundRequestState.DeadLettered => request.Attempt > 0,
                _ => false,
            };
            if (adoptable && found.Count == 0 && request.Uncertain && request.State is RefundRequestState.Received or RefundRequestState.Submitting)
            {
                // Our marker is on no refund: Ping++ may not have echoed it. The order's create lock makes an unmarked
                // refund with the request's charge and amount, made after it was recorded, its own (or parks it).
                var ownedByOthers = ledger.Refunds.Where(r => r.RequestId is not null && r.RequestId != request.RequestId)
                    .Select(r => r.RefundId).ToHashSet(StringComparer.Ordinal);
                var match = Refunds.UnmarkedRefundMatch.Find(request, atPingpp.Where(r => !adoptedUnmarked.Contains(r.Id)), ownedByOthers);
                if (match.ReviewReason is { } reason)
                {
                    park.Add((request.RequestId, reason));
                    continue;
                }

                found = [.. match.Adopt];
                adoptedUnmarked.UnionWith(found.Select(r => r.Id));
            }

            if (leaseLive)
            {
                processorOwned.Add(request.RequestId);
                waiting++;
            }
            else if (adoptable && found.Count > 0)
            {
                adopt.Add((request.RequestId, found));
                adoptedRequests.Add(request.RequestId);
            }
            else if (request.State is RefundRequestState.Received or RefundRequestState.Submitting)
            {
                var since = request.State == RefundRequestState.Submitting ? request.SubmittingSince ?? request.UpdatedAt : request.UpdatedAt;
                // A create that may have reached Ping++ becomes visible within the grace period after it *started*,
                // which can be well after the claim (a slow lookup comes first): wait from the later of the two, as
                // the processor does, so a hand-back is not spent on a delivery that can only wait again.
                if (request.Uncertain && request.LastSendStartedAt > since)
                {
                    since = request.LastSendStartedAt.Value;
                }

                if (now - since >= gracePeriod)
                {
                    handBack.Add(request);
                }
                else
                {
                    waiting++;
                }
            }
        }

        var apply = new List<PingppRefund>();
        var discrepancies = new List<Discrepancy>();
        foreach (var remote in atPingpp)
        {
            if (((remote.RequestId is { } rid && (adoptedRequests.Contains(rid) || processorOwned.Contains(rid))) || adoptedUnmarked.Contains(remote.Id))
                && !known.ContainsKey(remote.Id))
            {
                continue;
            }

            if (!known.TryGetValue(remote.Id, out var local))
            {
                apply.Add(remote);
                continue;
            }

            if (local.Amount > 0 && remote.Amount > 0 && local.Amount != remote.Amount)
            {
                discrepancies.Add(new Discrepancy(DiscrepancyKind.AmountMismatch, orderId, remote.Id, local.RequestId,
                    View(local), View(remote)));
            }

            var localFinal = Ledger.RefundStatusRules.IsFinal(local.Status);
            var remoteFinal = Ledger.RefundStatusRules.IsFinal(remote.Status);
            if (localFinal && remoteFinal && local.Status != remote.Status)
            {
                discrepancies.Add(new Discrepancy(DiscrepancyKind.StatusConflict, orderId, remote.Id, local.RequestId, View(local), View(remote)));
            }
            else if (localFinal && !remoteFinal)
            {
                discrepancies.Add(new Discrepancy(DiscrepancyKind.LedgerAheadOfPingpp, orderId, remote.Id, local.RequestId, View(local), View(remote)));
            }
            else if (!localFinal && remoteFinal)
            {
                apply.Add(remote);
            }
        }

        var listed = atPingpp.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var local in ledger.Refunds.Where(r => !listed.Contains(r.RefundId)))
        {
            discrepancies.Add(new Discrepancy(DiscrepancyKind.MissingAtPingpp, orderId, local.RefundId, local.RequestId, View(local), "not listed"));
        }

        if (order is not null && atPingpp.All(r => r.Status != PingppRefundStatus.Pending))
        {
            var succeeded = atPingpp.Where(r => r.Status == PingppRefundStatus.Succeeded).Sum(r => r.Amount);
            if (order.AmountRefunded != succeeded)
            {
                discrepancies.Add(new Discrepancy(DiscrepancyKind.OrderAmountRefundedMismatch, orderId, null, null,
                    string.Create(CultureInfo.InvariantCulture, $"ledger succeeded sum {ledger.Refunds.Where(r => r.Status == PingppRefundStatus.Succeeded).Sum(r => r.Amount)}"),
                    string.Create(CultureInfo.InvariantCulture, $"order amount_refunded {order.AmountRefunded}, succeeded refunds listed {succeeded}")));
            }
        }

        return new OrderReconciliationPlan
        {
            Apply = apply,
            Adopt = adopt,
            HandBack = handBack,
            Park = park,
            Discrepancies = discrepancies,
            Waiting = waiting,
        };
    }

    private static string View(RefundRecord r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Status.ToString().ToLowerInvariant()} amount {r.Amount}{(r.FailureCode is null ? "" : " failure " + r.FailureCode)}{(r.External ? " external" : "")}");

    private static string View(PingppRefund r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Status.ToString().ToLowerInvariant()} amount {r.Amount}{(r.FailureCode is null ? "" : " failure " + r.FailureCode)}");
}
