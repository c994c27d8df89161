using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;

namespace Refunds.Core.Reconciliation;

/// <summary>
/// Places a refund whose order is unknown (an <c>orphan|{refundId}</c> ledger partition) through its charge, where
/// Ping++ allows it: <c>GET /v1/charges/{id}</c> gives the charge's app, creation time and merchant <c>order_no</c>
/// (Ping++'s charge names no Ping++ order id), and the order list (<c>GET /v1/orders</c>, newest first, created up to
/// the charge's creation and at most <see cref="OrderSweepOptions.SweepWindow"/> before it, at most
/// <see cref="SearchPages"/> pages) holds the order whose charges include it. A placed refund is merged into that order
/// by the ledger (external unless its <c>refund_request_id</c> marker links it to a request of ours that it can be);
/// otherwise it stays unplaced in <see cref="UnplacedRefundStore"/> with what the lookup found, never dropped and never
/// counted as ours. Called by <see cref="Reconciler"/> for each such item, bounded by
/// <see cref="ReconciliationOptions.MaxPlacementsPerRun"/>; a refund's lookups back off from 5 minutes, doubling, up to a day.
/// </summary>
public sealed partial class UnplacedRefundPlacer(
    PingppClient client,
    IRefundLedger ledger,
    UnplacedRefundStore store,
    IOptions<OrderSweepOptions> sweepOptions,
    UnplacedRefundMetrics metrics,
    TimeProvider time,
    ILogger<UnplacedRefundPlacer> logger)
{
    /// <summary>Pages of 20 orders searched for a charge's order in one lookup.</summary>
    public const int SearchPages = 5;

    private const int PerPage = 20;

    /// <summary>Ping++'s clock and ours may differ: orders created this long after the charge are searched too.</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan FirstBackOff = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MaxBackOff = TimeSpan.FromDays(1);

    /// <summary>
    /// Tries to place the orphan refund of <paramref name="item"/>. <paramref name="takeBudget"/> is asked right before
    /// the first Ping++ call (false: the run's placements are spent, the refund waits for the next run).
    /// </summary>
    public async Task<PlacementResult> TryPlaceAsync(OpenWorkItem item, Func<bool> takeBudget, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(takeBudget);
        if (item.RefundId is not { } refundId)
        {
            return new(PlacementOutcome.NotDue, 0);
        }

        var kept = await store.GetAsync(refundId, ct).ConfigureAwait(false) ?? await KeepFromLedgerAsync(refundId, ct).ConfigureAwait(false);
        if (kept is null)
        {
            return new(PlacementOutcome.NotDue, 0);
        }

        if (kept.PlacedOrderId is not null)
        {
            // Placed, but the orphan partition outlived it (a crash between the two): merging again finishes the move.
            await MergeAsync(kept, kept.PlacedOrderId, ct).ConfigureAwait(false);
            return new(PlacementOutcome.Placed, 0);
        }

        if (kept.LastLookupAt is { } last && time.GetUtcNow() < last + BackOff(kept.LookupAttempts))
        {
            return new(PlacementOutcome.NotDue, 0);
        }

        if (!takeBudget())
        {
            return new(PlacementOutcome.NotDue, 0);
        }

        var (orderId, outcome, calls) = await LookUpAsync(kept.ChargeId ?? item.ChargeId, ct).ConfigureAwait(false);
        metrics.Lookup(orderId is not null ? "placed" : outcome.Kind);
        if (orderId is null)
        {
            await store.RecordLookupAsync(refundId, outcome.Text, null, ct).ConfigureAwait(false);
            Log.NotPlaced(logger, refundId, kept.ChargeId, outcome.Text, kept.LookupAttempts + 1);
            return new(outcome.Kind == "failed" ? PlacementOutcome.Failed : PlacementOutcome.Unplaced, calls);
        }

        // The ledger first: if the merge fails, the record still says unplaced and the next run tries again.
        var applied = await MergeAsync(kept, orderId, ct).ConfigureAwait(false);
        await store.RecordLookupAsync(refundId, outcome.Text, orderId, ct).ConfigureAwait(false);
        Log.Placed(logger, refundId, kept.ChargeId, orderId, applied.Refund.RequestId, applied.Refund.External);
        return new(PlacementOutcome.Placed, calls);
    }

    private static TimeSpan BackOff(int attempts)
    {
        var doubled = FirstBackOff * Math.Pow(2, Math.Clamp(attempts - 1, 0, 16));
        return doubled < MaxBackOff ? doubled : MaxBackOff;
    }

    /// <summary>The refund as first reported (its metadata marker included), at the latest status we know.</summary>
    private Task<RefundApplyResult> MergeAsync(UnplacedRefund kept, string orderId, CancellationToken ct)
    {
        var reported = JsonSerializer.Deserialize<PingppRefund>(kept.RawJson, PingppJson.Options)!;
        var refund = reported with { Status = kept.Status, Succeed = kept.Status == PingppRefundStatus.Succeeded };
        return ledger.ApplyRefundAsync(refund, orderId, ct);
    }

    /// <summary>An orphan kept before this store existed (or by a path that did not keep it): kept now from the ledger's row.</summary>
    private async Task<UnplacedRefund?> KeepFromLedgerAsync(string refundId, CancellationToken ct)
    {
        if (await ledger.GetRefundAsync(refundId, ct).ConfigureAwait(false) is not { OrderId: null } record)
        {
            return null;
        }

        var refund = new PingppRefund
        {
            Id = record.RefundId,
            Amount = record.Amount,
            Status = record.Status,
            Succeed = record.Status == PingppRefundStatus.Succeeded,
            Charge = record.ChargeId,
            ChargeOrderNo = record.ChargeOrderNo,
            OrderNo = record.PingppOrderNo,
            Description = record.Description,
            FailureCode = record.FailureCode,
            FailureMsg = record.FailureMessage,
            TransactionNo = record.TransactionNo,
            FundingSource = record.FundingSource,
            TimeSucceed = record.TimeSucceed?.ToUnixTimeSeconds(),
            Created = record.CreatedAt?.ToUnixTimeSeconds() ?? 0,
        };
        await store.RecordAsync(refund, JsonSerializer.Serialize(refund, PingppJson.Options), ct).ConfigureAwait(false);
        return await store.GetAsync(refundId, ct).ConfigureAwait(false);
    }

    /// <summary>The order holding <paramref name="chargeId"/>, or why none was found (Kind: not-found, not-ours, no-charge, failed).</summary>
    private async Task<(string? OrderId, (string Kind, string Text) Outcome, int Calls)> LookUpAsync(string? chargeId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(chargeId) || !TableSafe(chargeId))
        {
            return (null, ("no-charge", "Ping++ named no usable charge: the refund cannot be looked up"), 0);
        }

        var calls = 0;
        try
        {
            calls++;
            var charge = await client.RetrieveChargeAsync(chargeId, ct).ConfigureAwait(false);
            var appId = sweepOptions.Value.AppId;
            if (string.IsNullOrEmpty(appId))
            {
                return (null, ("not-found", $"charge {chargeId} exists (order_no {charge.OrderNo}), but Pingpp__AppId is not set, so the order list cannot be searched"), calls);
            }

            if (charge.App is { Length: > 0 } app && !string.Equals(app, appId, StringComparison.Ordinal))
            {
                return (null, ("not-ours", $"charge {chargeId} belongs to app {app}, not {appId}"), calls);
            }

            var to = charge.Created + (long)ClockSkew.TotalSeconds;
            var from = to - (long)sweepOptions.Value.SweepWindow.TotalSeconds;
            for (var page = 1; page <= SearchPages; page++)
            {
                calls++;
                var list = await client.ListOrdersAsync(appId, from, to, page, PerPage, ct).ConfigureAwait(false);
                var order = list.Data.FirstOrDefault(o => o.Charges?.Data.Any(c => c.Id == chargeId) == true
                                                          || (charge.OrderNo is { Length: > 0 } no && o.MerchantOrderNo == no));
                if (order is not null)
                {
                    return (order.Id, ("placed", $"placed in order {order.Id} through charge {chargeId}"), calls);
                }

                if (!list.HasMore || list.Data.Count == 0)
                {
                    break;
                }
            }

            return (null, ("not-found", string.Create(CultureInfo.InvariantCulture,
                $"charge {chargeId} (order_no {charge.OrderNo}) is in no order created from {from} to {to} (Unix seconds; up to {SearchPages} pages searched)")), calls);
        }
        catch (PingppException e) when (e.Kind == PingppErrorKind.Rejected && e.StatusCode == 404)
        {
            return (null, ("not-found", $"charge {chargeId} not found at Ping++ (404)"), calls);
        }
        catch (PingppException e)
        {
            // Rate limited, a 5xx, a timeout: tried again on a later run.
            return (null, ("failed", $"lookup of charge {chargeId} failed ({e.Kind}, status {e.StatusCode?.ToString(CultureInfo.InvariantCulture) ?? "none"}); tried again later"), calls);
        }
    }

    private static bool TableSafe(string id) => id.Length <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    private static partial class Log
    {
        [LoggerMessage(6301, LogLevel.Warning, "Refund {RefundId} of an unknown order placed through charge {ChargeId} in order {OrderId} (request {RequestId}, external {External})")]
        public static partial void Placed(ILogger logger, string refundId, string? chargeId, string orderId, string? requestId, bool external);

        [LoggerMessage(6302, LogLevel.Warning, "Refund {RefundId} (charge {ChargeId}) stays unplaced after lookup {Attempt}: {Outcome}")]
        public static partial void NotPlaced(ILogger logger, string refundId, string? chargeId, string outcome, int attempt);
    }
}

/// <summary>What one <see cref="UnplacedRefundPlacer.TryPlaceAsync"/> came to, and the Ping++ calls it made.</summary>
public readonly record struct PlacementResult(PlacementOutcome Outcome, int PingppCalls);

public enum PlacementOutcome
{
    /// <summary>Nothing tried now: backing off, the run's budget spent, or nothing to place.</summary>
    NotDue,

    /// <summary>Merged into the order the lookup found.</summary>
    Placed,

    /// <summary>The lookup answered, and no order of ours holds the charge: it stays a problem.</summary>
    Unplaced,

    /// <summary>The lookup failed (rate limit, 5xx, timeout): tried again later.</summary>
    Failed,
}
