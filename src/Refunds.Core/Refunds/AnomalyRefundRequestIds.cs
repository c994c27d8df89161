namespace Refunds.Core.Refunds;

/// <summary>An abnormal payment that the app refunds on its own (pingpp-api.md §4.1, last paragraph).</summary>
public enum AnomalyKind
{
    /// <summary><c>order.status == canceled</c> but the order was paid in full.</summary>
    PaidAfterCancel,

    /// <summary><c>amount_paid &gt; actual_amount</c>.</summary>
    Overpaid,
}

/// <summary>
/// Request ids of automatic anomaly refunds. They are derived from the order and the kind of anomaly, never random, so
/// however often reconciliation or a webhook notices the same anomaly, the ledger sees one request id and Ping++ gets
/// at most one refund for it.
/// </summary>
public static class AnomalyRefundRequestIds
{
    public const string Prefix = "anomaly-";

    /// <summary><c>anomaly-{orderId}-{kind}</c>, e.g. <c>anomaly-2011708070000007521-paid-after-cancel</c>.</summary>
    public static string For(string orderId, AnomalyKind kind)
    {
        if (!RefundRequestRules.IsPingppOrderId(orderId))
        {
            throw new ArgumentException("The order id is not a Ping++ order id.", nameof(orderId));
        }

        return $"{Prefix}{orderId}-{Slug(kind)}";
    }

    /// <summary>
    /// <c>anomaly-{orderId}-{kind}-{chargeId}</c>: one request per refunded charge when an anomaly is refunded charge by
    /// charge. The charge is part of the id because the plan (which charges, how much) is derived from the order's
    /// charges only, so the same anomaly always yields the same ids.
    /// </summary>
    public static string For(string orderId, AnomalyKind kind, string chargeId)
    {
        if (!IsChargeId(chargeId))
        {
            throw new ArgumentException("The charge id is not a Ping++ charge id.", nameof(chargeId));
        }

        return $"{For(orderId, kind)}-{chargeId}";
    }

    /// <summary>Reads an id made by <see cref="For(string, AnomalyKind)"/>; false for any other id (including per-charge ids).</summary>
    public static bool TryParse(string? requestId, out string orderId, out AnomalyKind kind)
        => TryParse(requestId, out orderId, out kind, out var chargeId) && chargeId is null;

    /// <summary>Reads an id made by either <c>For</c> overload; <paramref name="chargeId"/> is null for the order-level form.</summary>
    public static bool TryParse(string? requestId, out string orderId, out AnomalyKind kind, out string? chargeId)
    {
        orderId = "";
        kind = default;
        chargeId = null;
        if (requestId is null || !requestId.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        // Charge ids never contain '-', so the part after the last "-{slug}-" is the charge when it looks like one.
        foreach (var candidate in Enum.GetValues<AnomalyKind>())
        {
            var infix = "-" + Slug(candidate) + "-";
            var at = requestId.LastIndexOf(infix, StringComparison.Ordinal);
            if (at > Prefix.Length && IsChargeId(requestId[(at + infix.Length)..]) && RefundRequestRules.IsPingppOrderId(requestId[Prefix.Length..at]))
            {
                orderId = requestId[Prefix.Length..at];
                kind = candidate;
                chargeId = requestId[(at + infix.Length)..];
                return true;
            }
        }

        foreach (var candidate in Enum.GetValues<AnomalyKind>())
        {
            var suffix = "-" + Slug(candidate);
            if (requestId.EndsWith(suffix, StringComparison.Ordinal))
            {
                var id = requestId[Prefix.Length..^suffix.Length];
                if (RefundRequestRules.IsPingppOrderId(id))
                {
                    orderId = id;
                    kind = candidate;
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsChargeId(string? value)
        => value is { Length: > 0 and <= 64 } && value.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>The kind as it appears in ids and logs: <c>paid-after-cancel</c>, <c>overpaid</c>.</summary>
    public static string Slug(AnomalyKind kind) => kind switch
    {
        AnomalyKind.PaidAfterCancel => "paid-after-cancel",
        AnomalyKind.Overpaid => "overpaid",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown anomaly kind."),
    };
}
