using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Refunds.Core.Pingpp;

namespace Refunds.Core.Ledger;

/// <summary>
/// Row layout of the ledger table, and the mapping between rows and ledger records. Nothing outside the ledger sees a
/// <see cref="TableEntity"/>.
/// </summary>
/// <remarks>
/// PartitionKey = the order id, so an order's requests, refunds and order row share one partition (a refund
/// and its request change in one entity-group transaction). Other partitions: <c>orphan|{refundId}</c> for an
/// external refund of an unknown order, <c>rejected|{id}</c> for a rejected message without a usable order id, and
/// one-row lookup partitions <c>request|{id}</c> / <c>refund|{id}</c> that say which partition holds a request or refund.
/// <para>
/// An order partition also holds a members row (<see cref="MembersRow"/>): one property per request or refund row,
/// merged in <em>before</em> that row is written, so the row keys of an order are known without a partition query.
/// Readers fetch the order row, the members row and then each member by point reads: a partition query scans the
/// whole table on Azurite (its in-memory store has no partition index), so an order's read would grow with the
/// history of every order. A listed key without a row (a crash between the two writes) is skipped. Past Table
/// Storage's property limit the members row is replaced by <c>Overflow = true</c> and readers query the partition.
/// </para>
/// </remarks>
internal static class LedgerEntities
{
    public const string OrderRow = "order";
    public const string MembersRow = "members";
    public const string MemberPropertyPrefix = "member_";
    public const string MembersOverflow = "Overflow";
    public const string LookupRow = "lookup";
    public const string RequestPrefix = "req|";
    public const string RefundPrefix = "ref|";
    public const string OrphanPrefix = "orphan|";
    public const string RejectedPrefix = "rejected|";
    public const string HistoryPrefix = "hist|";

    // A table string property holds 64 KiB = 32K UTF-16 chars; raw text is split over RawText, RawText1, … in chunks
    // of RawTextChunkChars. A queue message is at most 64 KiB of UTF-8 (≤ 64K chars), so 3 chunks hold any of them;
    // 8 chunks (240K chars, ~480 KiB of the 1 MiB entity limit) is the cap for anything bigger (an HTTP body).
    public const int RawTextChunkChars = 30_000;
    public const int RawTextChunks = 8;
    public const int MaxRawTextChars = RawTextChunkChars * RawTextChunks;
    public const string TruncatedMarker = "…[truncated: {0} more characters]";
    private const int MaxNoteChars = 8 * 1024;

    public static string RequestRowKey(string requestId) => RequestPrefix + requestId;

    public static string RefundRowKey(string refundId) => RefundPrefix + refundId;

    /// <summary>
    /// A history entry's row, beside its request in the request's partition: <c>hist|{requestId}|{ticks:D19}|{seq:D6}</c>.
    /// Never listed in the members row, so order reads do not fetch it; the sequence number keeps keys unique when
    /// two entries share a tick, and orders entries whatever the clocks of the writers.
    /// </summary>
    public static string HistoryRowKey(string requestId, DateTimeOffset at, int seq)
        => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{HistoryPrefix}{requestId}|{at.UtcTicks:D19}|{seq:D6}");

    /// <summary>The row-key range [from, to) that holds exactly <paramref name="requestId"/>'s history (ids hold no '|' or '~').</summary>
    public static (string From, string To) HistoryRange(string requestId) => ($"{HistoryPrefix}{requestId}|", $"{HistoryPrefix}{requestId}|~");

    public static TableEntity FromHistory(string partition, string requestId, RequestHistoryEntry h) => new(partition, HistoryRowKey(requestId, h.At, h.Seq))
    {
        ["Kind"] = "history",
        ["RequestId"] = requestId,
        ["Seq"] = h.Seq,
        ["At"] = h.At,
        ["From"] = h.From?.ToString(),
        ["To"] = h.To.ToString(),
        ["Actor"] = h.Actor,
        ["Reason"] = Truncate(h.Reason, MaxNoteChars),
    };

    public static RequestHistoryEntry ToHistory(TableEntity e) => new(
        e.GetInt32("Seq") ?? 0,
        e.GetDateTimeOffset("At") ?? default,
        e.GetString("From") is { } from ? Enum.Parse<RefundRequestState>(from) : null,
        Enum.Parse<RefundRequestState>(e.GetString("To")!),
        e.GetString("Actor") ?? RequestActor.System,
        e.GetString("Reason"));

    /// <summary>The members-row property that lists <paramref name="rowKey"/>: a hash, since ids may hold characters property names may not.</summary>
    public static string MemberProperty(string rowKey)
        => MemberPropertyPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(rowKey)), 0, 16);

    public static string RequestLookupPartition(string requestId) => "request|" + requestId;

    public static string RefundLookupPartition(string refundId) => "refund|" + refundId;

    public static string OrphanPartition(string refundId) => OrphanPrefix + refundId;

    public static bool IsOrderPartition(string partition) => !partition.Contains('|', StringComparison.Ordinal);

    public static bool IsOrphanPartition(string partition) => partition.StartsWith(OrphanPrefix, StringComparison.Ordinal);

    public static string? Kind(TableEntity e) => e.GetString("Kind");

    /// <summary>An order's ledger from rows of its partition; rows of other kinds (history) are left out.</summary>
    public static OrderLedger ToOrderLedger(string orderId, IReadOnlyCollection<TableEntity> rows) => new(
        orderId,
        rows.Where(r => Kind(r) == "order").Select(ToOrder).FirstOrDefault(),
        [.. rows.Where(r => Kind(r) == "request").Select(ToRequest)],
        [.. rows.Where(r => Kind(r) == "refund").Select(ToRefund)]);

    public static TableEntity FromRequest(string partition, RefundRequestRecord r) => new TableEntity(partition, RequestRowKey(r.RequestId))
    {
        ["Kind"] = "request",
        ["RequestId"] = r.RequestId,
        ["OrderId"] = r.OrderId,
        ["Description"] = r.Description,
        ["Charge"] = r.Charge,
        ["ChargeAmount"] = r.ChargeAmount,
        ["RefundMode"] = r.RefundMode,
        ["FundingSource"] = r.FundingSource,
        ["RoyaltyUsers"] = r.RoyaltyUsers is null ? null : JsonSerializer.Serialize(r.RoyaltyUsers, PingppJson.Options),
        ["Metadata"] = r.Metadata is null ? null : JsonSerializer.Serialize(r.Metadata, PingppJson.Options),
        ["Fingerprint"] = r.Fingerprint,
        ["State"] = r.State.ToString(),
        ["Attempt"] = r.Attempt,
        ["Uncertain"] = r.Uncertain,
        ["LastSendStartedAt"] = r.LastSendStartedAt,
        ["IgnoredMessages"] = r.IgnoredMessages,
        ["LastIgnoredMessage"] = Truncate(r.LastIgnoredMessage, MaxNoteChars),
        ["SubmittingSince"] = r.SubmittingSince,
        ["LeaseUntil"] = r.LeaseUntil,
        ["RefundIds"] = JsonSerializer.Serialize(r.RefundIds),
        ["FailureCode"] = r.FailureCode,
        ["FailureMessage"] = r.FailureMessage,
        ["RejectionReasons"] = JsonSerializer.Serialize(r.RejectionReasons),
        ["LastError"] = Truncate(r.LastError, 4096),
        ["SubmittedBy"] = r.SubmittedBy,
        ["Approval"] = r.Approval is null ? null : JsonSerializer.Serialize(r.Approval, PingppJson.Options),
        ["HistoryCount"] = r.HistoryCount,
        ["CreatedAt"] = r.CreatedAt,
        ["UpdatedAt"] = r.UpdatedAt,
    }.WithRawText(r.RawText);

    public static RefundRequestRecord ToRequest(TableEntity e) => new()
    {
        RequestId = e.GetString("RequestId")!,
        OrderId = e.GetString("OrderId"),
        Description = e.GetString("Description"),
        Charge = e.GetString("Charge"),
        ChargeAmount = e.GetInt64("ChargeAmount"),
        RefundMode = e.GetString("RefundMode"),
        FundingSource = e.GetString("FundingSource"),
        RoyaltyUsers = Json<List<RoyaltyUserRefund>>(e, "RoyaltyUsers", PingppJson.Options),
        Metadata = Json<Dictionary<string, string>>(e, "Metadata", PingppJson.Options),
        Fingerprint = e.GetString("Fingerprint"),
        State = Enum.Parse<RefundRequestState>(e.GetString("State")!),
        Attempt = e.GetInt32("Attempt") ?? 0,
        Uncertain = e.GetBoolean("Uncertain") ?? false,
        LastSendStartedAt = e.GetDateTimeOffset("LastSendStartedAt"),
        IgnoredMessages = e.GetInt32("IgnoredMessages") ?? 0,
        LastIgnoredMessage = e.GetString("LastIgnoredMessage"),
        SubmittingSince = e.GetDateTimeOffset("SubmittingSince"),
        LeaseUntil = e.GetDateTimeOffset("LeaseUntil"),
        RefundIds = Json<List<string>>(e, "RefundIds") ?? [],
        FailureCode = e.GetString("FailureCode"),
        FailureMessage = e.GetString("FailureMessage"),
        RejectionReasons = Json<List<string>>(e, "RejectionReasons") ?? [],
        RawText = ReadRawText(e),
        LastError = e.GetString("LastError"),
        SubmittedBy = e.GetString("SubmittedBy"),
        Approval = Json<RequestApproval>(e, "Approval", PingppJson.Options),
        HistoryCount = e.GetInt32("HistoryCount") ?? 0,
        CreatedAt = e.GetDateTimeOffset("CreatedAt") ?? default,
        UpdatedAt = e.GetDateTimeOffset("UpdatedAt") ?? default,
    };

    public static TableEntity FromRefund(string partition, RefundRecord r) => new(partition, RefundRowKey(r.RefundId))
    {
        ["Kind"] = "refund",
        ["RefundId"] = r.RefundId,
        ["OrderId"] = r.OrderId,
        ["RequestId"] = r.RequestId,
        ["ChargeId"] = r.ChargeId,
        ["Amount"] = r.Amount,
        ["Status"] = r.Status.ToString(),
        ["TimeSucceed"] = r.TimeSucceed,
        ["TransactionNo"] = r.TransactionNo,
        ["FailureCode"] = r.FailureCode,
        ["FailureMessage"] = r.FailureMessage,
        ["Description"] = r.Description,
        ["PingppOrderNo"] = r.PingppOrderNo,
        ["ChargeOrderNo"] = r.ChargeOrderNo,
        ["FundingSource"] = r.FundingSource,
        ["ChannelUrl"] = r.ChannelUrl,
        ["CreatedAt"] = r.CreatedAt,
        ["External"] = r.External,
        ["StatusConflict"] = r.StatusConflict,
        ["FirstSeenAt"] = r.FirstSeenAt,
        ["UpdatedAt"] = r.UpdatedAt,
    };

    public static RefundRecord ToRefund(TableEntity e) => new()
    {
        RefundId = e.GetString("RefundId")!,
        OrderId = e.GetString("OrderId"),
        RequestId = e.GetString("RequestId"),
        ChargeId = e.GetString("ChargeId"),
        Amount = e.GetInt64("Amount") ?? 0,
        Status = Enum.Parse<PingppRefundStatus>(e.GetString("Status")!),
        TimeSucceed = e.GetDateTimeOffset("TimeSucceed"),
        TransactionNo = e.GetString("TransactionNo"),
        FailureCode = e.GetString("FailureCode"),
        FailureMessage = e.GetString("FailureMessage"),
        Description = e.GetString("Description"),
        PingppOrderNo = e.GetString("PingppOrderNo"),
        ChargeOrderNo = e.GetString("ChargeOrderNo"),
        FundingSource = e.GetString("FundingSource"),
        ChannelUrl = e.GetString("ChannelUrl"),
        CreatedAt = e.GetDateTimeOffset("CreatedAt"),
        External = e.GetBoolean("External") ?? false,
        StatusConflict = e.GetBoolean("StatusConflict") ?? false,
        FirstSeenAt = e.GetDateTimeOffset("FirstSeenAt") ?? default,
        UpdatedAt = e.GetDateTimeOffset("UpdatedAt") ?? default,
    };

    public static TableEntity FromOrder(string partition, OrderRecord o) => new(partition, OrderRow)
    {
        ["Kind"] = "order",
        ["OrderId"] = o.OrderId,
        ["PingppStatus"] = o.PingppStatus,
        ["Paid"] = o.Paid,
        ["Refunded"] = o.Refunded,
        ["ActualAmount"] = o.ActualAmount,
        ["AmountPaid"] = o.AmountPaid,
        ["AmountRefunded"] = o.AmountRefunded,
        ["NeedsReconciliation"] = o.NeedsReconciliation,
        ["ReconciliationReasons"] = JsonSerializer.Serialize(o.ReconciliationReasons),
        ["MarkedAt"] = o.MarkedAt,
        ["UpdatedAt"] = o.UpdatedAt,
    };

    public static OrderRecord ToOrder(TableEntity e) => new()
    {
        OrderId = e.GetString("OrderId")!,
        PingppStatus = e.GetString("PingppStatus"),
        Paid = e.GetBoolean("Paid"),
        Refunded = e.GetBoolean("Refunded"),
        ActualAmount = e.GetInt64("ActualAmount"),
        AmountPaid = e.GetInt64("AmountPaid"),
        AmountRefunded = e.GetInt64("AmountRefunded"),
        NeedsReconciliation = e.GetBoolean("NeedsReconciliation") ?? false,
        ReconciliationReasons = Json<List<string>>(e, "ReconciliationReasons") ?? [],
        MarkedAt = e.GetDateTimeOffset("MarkedAt"),
        UpdatedAt = e.GetDateTimeOffset("UpdatedAt") ?? default,
    };

    /// <summary>Cuts <paramref name="text"/> to <paramref name="max"/> characters with a marker saying how much was cut (never inside a surrogate pair).</summary>
    public static string? Truncate(string? text, int max)
    {
        if (text is null || text.Length <= max)
        {
            return text;
        }

        var marker = string.Format(System.Globalization.CultureInfo.InvariantCulture, TruncatedMarker, text.Length - max);
        var keep = max - marker.Length;
        if (keep > 0 && char.IsHighSurrogate(text[keep - 1]))
        {
            keep--;
        }

        return string.Concat(text.AsSpan(0, keep), marker);
    }

    private static TableEntity WithRawText(this TableEntity entity, string? rawText)
    {
        var text = Truncate(rawText, MaxRawTextChars);
        if (text is null)
        {
            return entity;
        }

        var start = 0;
        for (var chunk = 0; start < text.Length; chunk++)
        {
            var length = Math.Min(RawTextChunkChars, text.Length - start);
            // A property must hold valid UTF-16: never end a chunk between the halves of a surrogate pair.
            if (start + length < text.Length && char.IsHighSurrogate(text[start + length - 1]))
            {
                length--;
            }

            entity[RawTextProperty(chunk)] = text.Substring(start, length);
            start += length;
        }

        if (text.Length == 0)
        {
            entity[RawTextProperty(0)] = "";
        }

        return entity;
    }

    private static string? ReadRawText(TableEntity e)
    {
        var first = e.GetString(RawTextProperty(0));
        if (first is null)
        {
            return null;
        }

        var builder = new System.Text.StringBuilder(first);
        for (var chunk = 1; e.GetString(RawTextProperty(chunk)) is { } next; chunk++)
        {
            builder.Append(next);
        }

        return builder.ToString();
    }

    private static string RawTextProperty(int chunk) => chunk == 0 ? "RawText" : "RawText" + chunk.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static T? Json<T>(TableEntity e, string name, JsonSerializerOptions? options = null)
        where T : class
        => e.GetString(name) is { Length: > 0 } text ? JsonSerializer.Deserialize<T>(text, options) : null;
}
