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

    /// <summary>Reads an id made by <see cref="For"/>; false for any other id.</summary>
    public static bool TryParse(string? requestId, out string orderId, out AnomalyKind kind)
    {
        orderId = "";
        kind = default;
        if (requestId is null || !requestId.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
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

    /// <summary>The kind as it appears in ids and logs: <c>paid-after-cancel</c>, <c>overpaid</c>.</summary>
    public static string Slug(AnomalyKind kind) => kind switch
    {
        AnomalyKind.PaidAfterCancel => "paid-after-cancel",
        AnomalyKind.Overpaid => "overpaid",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown anomaly kind."),
    };
}
