using System.Globalization;
using Azure.Data.Tables;
using Refunds.Core.Storage;

namespace Refunds.Core.Ledger;

/// <summary>
/// Row layout of the <c>RequestIndex</c> table (docs/operations.md). Three kinds of rows, all hints that readers check
/// against the ledger:
/// <list type="bullet">
/// <item><c>day|yyyyMMdd</c> (the request's created day, UTC), RowKey <c>{inverted created ticks}|{request id}</c>: one
/// row per request with what a search filters on and shows, and one <c>St_{State}</c> property (hinted-at ticks) per
/// state the request may be in: the state written, plus any other hinted within <see cref="RequestIndex.SettleWindow"/>.</item>
/// <item><c>state|{State}</c>, RowKey <c>{inverted state-since ticks}|{request id}</c>: the problems list, newest first.</item>
/// <item><c>charge|{charge id}</c>, RowKey as the day row: the charge filter.</item>
/// </list>
/// </summary>
internal static class RequestIndexRows
{
    public const string StatePropertyPrefix = "St_";
    public const string StateRowPropertyPrefix = "Sr_";

    public static string DayPartition(DateTimeOffset created) => "day|" + created.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public static string StatePartition(string state) => "state|" + state;

    /// <summary>
    /// Whether requests in <paramref name="state"/> get a row in <c>state|{state}</c>. Not succeeded ones: nine in ten
    /// requests end there and nothing lists them by state (the problem list reads the other states; a search by
    /// status reads the day rows' hints), so those rows would be a write per request that nobody reads, and one
    /// partition growing with the whole history.
    /// </summary>
    public static bool HasStateRows(string state) => state != nameof(RefundRequestState.Succeeded);

    public static string ChargePartition(string chargeId) => "charge|" + chargeId;

    /// <summary>Newest first in key order: <c>DateTimeOffset.MaxValue</c> ticks minus the time's, 19 digits.</summary>
    public static string Inverted(DateTimeOffset at) => (DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);

    public static string RowKey(DateTimeOffset at, string requestId) => Inverted(at) + "|" + requestId;

    /// <summary>The time a row key was made from.</summary>
    public static DateTimeOffset TimeOf(string rowKey)
        => new(DateTimeOffset.MaxValue.UtcTicks - long.Parse(rowKey.AsSpan(0, 19), CultureInfo.InvariantCulture), TimeSpan.Zero);

    /// <summary>Row keys of times in [<paramref name="since"/>, <paramref name="until"/>): at or above the first, below the second.</summary>
    public static (string From, string Below) Range(DateTimeOffset since, DateTimeOffset until)
        => (Inverted(until.AddTicks(-1)), Inverted(since.AddTicks(-1)));

    public static string StateProperty(string state) => StatePropertyPrefix + state;

    public static string StateRowProperty(string state) => StateRowPropertyPrefix + state;

    /// <summary>The states a day row hints at, with when each was hinted.</summary>
    public static Dictionary<string, DateTimeOffset> HintedStates(TableEntity day)
        => day.Keys.Where(k => k.StartsWith(StatePropertyPrefix, StringComparison.Ordinal))
            .ToDictionary(k => k[StatePropertyPrefix.Length..], k => new DateTimeOffset(day.GetInt64(k) ?? 0, TimeSpan.Zero), StringComparer.Ordinal);

    /// <summary>The day row of <paramref name="r"/> as the ledger has it, without state hints.</summary>
    public static TableEntity Day(string partition, RefundRequestRecord r) => new(DayPartition(r.CreatedAt), RowKey(r.CreatedAt, r.RequestId))
    {
        ["RequestId"] = r.RequestId,
        ["Partition"] = partition,
        ["OrderId"] = r.OrderId,
        ["Charge"] = r.Charge,
        ["Amount"] = r.ChargeAmount,
        ["Status"] = r.State.ToString(),
        ["CreatedAt"] = r.CreatedAt,
        ["UpdatedAt"] = r.UpdatedAt,
        ["SubmittedBy"] = r.SubmittedBy,
        ["Description"] = r.Description,
    };

    /// <summary>A state or charge row pointing back at the request's day row and ledger partition.</summary>
    public static TableEntity Pointer(string partitionKey, string rowKey, string ledgerPartition, RefundRequestRecord r) => new(partitionKey, rowKey)
    {
        ["RequestId"] = r.RequestId,
        ["Partition"] = ledgerPartition,
        ["OrderId"] = r.OrderId,
        ["Amount"] = r.ChargeAmount,
        ["CreatedAt"] = r.CreatedAt,
    };

    public static bool HasChargeRow(RefundRequestRecord r) => r.Charge is not null && TableKeys.IsValidId(r.Charge);
}

/// <summary>A hint read from the index: where the request lives in the ledger, and the index row it came from.</summary>
/// <param name="IndexPartition">The index row's partition (<c>day|…</c>, <c>state|…</c> or <c>charge|…</c>).</param>
/// <param name="At">The time in the row key: created (day, charge rows) or state since (state rows).</param>
public sealed record RequestHint(string RequestId, string LedgerPartition, DateTimeOffset CreatedAt, string IndexPartition, string RowKey, DateTimeOffset At)
{
    /// <summary>The states a day row hints at (empty on other rows).</summary>
    public IReadOnlyCollection<string> States { get; init; } = [];

    /// <summary>When the newest of <see cref="States"/> was hinted (the row key's time on other rows).</summary>
    public DateTimeOffset HintedAt { get; init; }

    /// <summary>The state last written on a day row.</summary>
    public string? Status { get; init; }

    public long? Amount { get; init; }

    /// <summary>The state and charge rows a day row points at (removed with it when the ledger does not confirm it).</summary>
    internal IReadOnlyList<(string PartitionKey, string RowKey)> Pointers { get; init; } = [];
}

/// <summary>A page of hints in key order, and the row key to continue after (null when the partition range is done).</summary>
public sealed record RequestHintPage(IReadOnlyList<RequestHint> Hints, string? After);
