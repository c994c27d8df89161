using System.Globalization;
using System.Text;
using Azure.Data.Tables;

namespace Refunds.Core.Webhooks;

/// <summary>Whether a stored event's effect is done: applied, still to apply, or nothing to apply (refused, or a type that changes nothing).</summary>
public enum WebhookApplyStatus
{
    Applied,
    Pending,
    Ignored,
}

/// <summary>One stored event as the time index lists it (no body).</summary>
public sealed record WebhookEventEntry(
    string EventId,
    string Type,
    long Created,
    DateTimeOffset ReceivedAt,
    WebhookApplyStatus ApplyStatus,
    string? AppliedAs,
    DateTimeOffset? AppliedAt,
    string? OrderId,
    string? RefundId);

/// <summary>What to list: newest first, optionally one type, one apply status, a received-at window [since, until).</summary>
public sealed record WebhookEventQuery(string? Type, WebhookApplyStatus? Status, DateTimeOffset? Since, DateTimeOffset? Until, int PageSize, string? Continuation);

/// <summary>A page of entries and the continuation for the next page (null at the end).</summary>
public sealed record WebhookEventPage(IReadOnlyList<WebhookEventEntry> Items, string? Continuation);

/// <summary>An operator's re-apply of a stored event: who, when, why, and what came of it.</summary>
public sealed record WebhookReapplyRecord(DateTimeOffset At, string Actor, string Reason, string Result);

/// <summary>A continuation that this store did not hand out (or that was tampered with).</summary>
public sealed class InvalidContinuationException() : Exception("continuation is not one this API handed out");

/// <summary>
/// The time index of <see cref="WebhookEventStore"/>. Each event row has an index row in its own partition, RowKey
/// <c>~i~{inverted received ticks, 19 digits}~{eventId}</c>, written in the same transaction as the event row and
/// replaced by <see cref="WebhookEventStore.MarkAppliedAsync"/>: a webhook pays no extra request for it. No event id
/// contains <c>~</c>, so index rows never collide with event or spill rows. Listing newest first runs one range query
/// per partition (64, in parallel) and merges them: the read side pays, because operators list rarely and webhooks
/// arrive all the time. Re-applies are recorded as rows <c>~r~{eventId}~{ticks}~{guid}</c> beside the event (appended, never rewritten).
/// </summary>
public sealed partial class WebhookEventStore
{
    private const string IndexPrefix = "~i~";
    private const string IndexEnd = "~i~:"; // ':' sorts right after the digits
    private const string ReapplyPrefix = "~r~";

    /// <summary>
    /// One page of stored events, newest first (by the time they were first received). Costs one range query per
    /// partition (<see cref="PartitionCount"/>, in parallel), each reading at most <c>PageSize + 1</c> index rows.
    /// </summary>
    /// <exception cref="InvalidContinuationException">The continuation is not one this method handed out.</exception>
    public async Task<WebhookEventPage> ListAsync(WebhookEventQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.PageSize, 1);
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var filter = IndexFilter(query);
        var perPartition = await Task.WhenAll(Enumerable.Range(0, PartitionCount).Select(async p =>
        {
            var partition = p.ToString("D2", CultureInfo.InvariantCulture);
            var rows = new List<TableEntity>();
            await foreach (var row in table.QueryAsync<TableEntity>($"PartitionKey eq '{partition}' and {filter}", maxPerPage: query.PageSize + 1, cancellationToken: ct).ConfigureAwait(false))
            {
                rows.Add(row);
                if (rows.Count > query.PageSize)
                {
                    break;
                }
            }

            return rows;
        })).ConfigureAwait(false);

        var merged = perPartition.SelectMany(r => r).OrderBy(r => r.RowKey, StringComparer.Ordinal).ToList();
        var page = merged.Take(query.PageSize).ToList();
        var continuation = merged.Count > query.PageSize ? EncodeContinuation(page[^1].RowKey) : null;
        return new WebhookEventPage([.. page.Select(ToEntry)], continuation);
    }

    /// <summary>Appends an operator's re-apply to the event's record (never rewritten). One write.</summary>
    public async Task AddReapplyAsync(string eventId, WebhookReapplyRecord record, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(record);
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var entity = new TableEntity(PartitionKeyFor(eventId), $"{ReapplyPrefix}{eventId}~{record.At.UtcTicks:D19}~{Guid.NewGuid():N}")
        {
            ["At"] = record.At,
            ["Actor"] = record.Actor,
            ["Reason"] = record.Reason,
            ["Result"] = record.Result,
        };
        await table.AddEntityAsync(entity, ct).ConfigureAwait(false);
    }

    /// <summary>The event's re-applies, oldest first. One partition range query.</summary>
    public async Task<IReadOnlyList<WebhookReapplyRecord>> ListReappliesAsync(string eventId, CancellationToken ct)
    {
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var prefix = $"{ReapplyPrefix}{eventId}~";
        var found = new List<WebhookReapplyRecord>();
        // Ids hold no '~', so this event's rows are the first rows from the prefix on; the first other row ends them.
        var filter = $"PartitionKey eq '{PartitionKeyFor(eventId)}' and RowKey ge '{Quote(prefix)}'";
        await foreach (var row in table.QueryAsync<TableEntity>(filter, maxPerPage: 100, cancellationToken: ct).ConfigureAwait(false))
        {
            if (!row.RowKey.StartsWith(prefix, StringComparison.Ordinal))
            {
                break;
            }

            found.Add(new WebhookReapplyRecord(row.GetDateTimeOffset("At") ?? default, row.GetString("Actor") ?? "", row.GetString("Reason") ?? "", row.GetString("Result") ?? ""));
        }

        return found; // oldest first: the row keys hold the ticks
    }

    /// <summary>The apply status an event row (or index row) stands for: the one rule, used by the index and the event view.</summary>
    public static WebhookApplyStatus StatusOf(bool applied, string? appliedAs, string? refusedReason) => (applied, appliedAs, refusedReason) switch
    {
        (_, _, not null) => WebhookApplyStatus.Ignored,
        (true, AppliedAsNothing, _) => WebhookApplyStatus.Ignored,
        (true, _, _) => WebhookApplyStatus.Applied,
        _ => WebhookApplyStatus.Pending,
    };

    private static TableEntity ToIndexEntity(StoredWebhookEvent stored, string partition) => new(partition, IndexRowKey(stored.ReceivedAt, stored.EventId))
    {
        ["EventId"] = stored.EventId,
        ["Type"] = stored.Type,
        ["Created"] = stored.Created,
        ["ReceivedAt"] = stored.ReceivedAt,
        ["Status"] = StatusOf(stored.Applied, stored.AppliedAs, stored.RefusedReason).ToString(),
        ["AppliedAs"] = stored.AppliedAs,
        ["AppliedAt"] = stored.AppliedAt,
        ["OrderId"] = stored.OrderId,
        ["RefundId"] = stored.RefundId,
    };

    private static WebhookEventEntry ToEntry(TableEntity row) => new(
        row.GetString("EventId") ?? "",
        row.GetString("Type") ?? "",
        row.GetInt64("Created") ?? 0,
        row.GetDateTimeOffset("ReceivedAt") ?? default,
        Enum.TryParse<WebhookApplyStatus>(row.GetString("Status"), out var status) ? status : WebhookApplyStatus.Pending,
        row.GetString("AppliedAs"),
        row.GetDateTimeOffset("AppliedAt"),
        row.GetString("OrderId"),
        row.GetString("RefundId"));

    /// <summary>The filter of one partition's range query (without the partition): the time window, continuation, type and status.</summary>
    private static string IndexFilter(WebhookEventQuery query)
    {
        // Newest first = ascending inverted ticks. until (exclusive) bounds from below, since (inclusive) from above.
        var lower = query.Until is { } until ? $"RowKey ge '{IndexPrefix}{Inverted(until, plusOne: true)}'" : $"RowKey ge '{IndexPrefix}'";
        var upper = query.Since is { } since ? $"RowKey lt '{IndexPrefix}{Inverted(since, plusOne: true)}'" : $"RowKey lt '{IndexEnd}'";
        var filter = new StringBuilder().Append(lower).Append(" and ").Append(upper);
        if (query.Continuation is { } continuation)
        {
            filter.Append(" and RowKey gt '").Append(Quote(DecodeContinuation(continuation))).Append('\'');
        }

        if (query.Type is { } type)
        {
            filter.Append(" and Type eq '").Append(Quote(type)).Append('\'');
        }

        if (query.Status is { } status)
        {
            filter.Append(" and Status eq '").Append(status.ToString()).Append('\'');
        }

        return filter.ToString();
    }

    private static string IndexRowKey(DateTimeOffset receivedAt, string eventId) => $"{IndexPrefix}{Inverted(receivedAt)}~{eventId}";

    private static string Inverted(DateTimeOffset at, bool plusOne = false)
        => (DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks + (plusOne ? 1 : 0)).ToString("D19", CultureInfo.InvariantCulture);

    private static string Quote(string value) => value.Replace("'", "''", StringComparison.Ordinal);

    private static string EncodeContinuation(string rowKey) => Convert.ToBase64String(Encoding.UTF8.GetBytes(rowKey)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string DecodeContinuation(string continuation)
    {
        try
        {
            var base64 = continuation.Replace('-', '+').Replace('_', '/');
            var rowKey = Encoding.UTF8.GetString(Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=')));
            return rowKey.StartsWith(IndexPrefix, StringComparison.Ordinal) && rowKey.Length > IndexPrefix.Length + 20 && !rowKey.Contains('\'', StringComparison.Ordinal)
                ? rowKey
                : throw new InvalidContinuationException();
        }
        catch (FormatException)
        {
            throw new InvalidContinuationException();
        }
    }
}
