using System.Text.Json;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;

namespace Refunds.Core.Reconciliation;

/// <summary>
/// The refunds the ledger held for an order when it entered the watch (or when a re-check last changed them): id,
/// status, amount. Kept in the order's members row, so a re-check reads one row, lists the order at Ping++, and reads
/// the rest of the order only when Ping++ says something else. Sound because the ledger never moves a final status
/// (a finished order has no pending refund: a pending one is open work) and every refund row an order gains is listed
/// in its members row first, so a ledger that changed since the snapshot shows as a members list that differs from it.
/// </summary>
public sealed record WatchSnapshot(IReadOnlyList<WatchedRefund> Refunds)
{
    public static WatchSnapshot Of(IEnumerable<RefundRecord> refunds)
        => new([.. refunds.Select(r => new WatchedRefund(r.RefundId, r.Status, r.Amount)).OrderBy(r => r.Id, StringComparer.Ordinal)]);

    /// <summary>Past this the snapshot is not stored (a table string holds 32K characters): such an order is read whole at each re-check.</summary>
    public const int MaxStoredChars = 30_000;

    public string ToJson() => JsonSerializer.Serialize(Refunds.Select(r => new object[] { r.Id, r.Status.ToString(), r.Amount }));

    /// <summary>What the members row keeps: the JSON, or an empty string (no snapshot) when it would pass <see cref="MaxStoredChars"/>.</summary>
    public string ToStoredJson() => ToJson() is { Length: <= MaxStoredChars } json ? json : "";

    /// <summary>The snapshot stored as <paramref name="json"/>; null when absent or unreadable (then the re-check reads the order).</summary>
    public static WatchSnapshot? FromJson(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            var items = JsonSerializer.Deserialize<JsonElement[][]>(json);
            return items is null ? null : new([.. items.Select(i => new WatchedRefund(i[0].GetString()!, Enum.Parse<PingppRefundStatus>(i[1].GetString()!), i[2].GetInt64()))]);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or IndexOutOfRangeException or FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether a re-check can stop at this: the ledger's listed refund rows are exactly the snapshot's
    /// (<paramref name="listedRefundRows"/>: the ref| keys of the members row now; null: the list overflowed), and
    /// Ping++ lists exactly the snapshot's refunds, each with the same status and amount.
    /// </summary>
    public bool Settles(IReadOnlyCollection<string>? listedRefundRows, IReadOnlyList<PingppRefund> atPingpp)
    {
        ArgumentNullException.ThrowIfNull(atPingpp);
        if (listedRefundRows is null || listedRefundRows.Count != Refunds.Count || atPingpp.Count != Refunds.Count
            || !Refunds.All(r => listedRefundRows.Contains(LedgerEntities.RefundRowKey(r.Id))))
        {
            return false;
        }

        var byId = Refunds.ToDictionary(r => r.Id, StringComparer.Ordinal);
        return atPingpp.All(p => byId.TryGetValue(p.Id, out var known) && known.Status == p.Status && known.Amount == p.Amount)
            && atPingpp.Select(p => p.Id).Distinct(StringComparer.Ordinal).Count() == Refunds.Count;
    }
}

/// <summary>One refund as the snapshot holds it.</summary>
public sealed record WatchedRefund(string Id, PingppRefundStatus Status, long Amount);
