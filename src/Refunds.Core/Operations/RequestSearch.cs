using System.Globalization;
using System.Text;
using Refunds.Core.Ledger;
using static Refunds.Core.Ledger.RequestIndexRows;

namespace Refunds.Core.Operations;

/// <summary>
/// Searches refund requests without scanning the ledger (docs/operations.md): a request or refund id by the ledger's
/// lookup rows, an order by its partition, a charge by its index partition, anything else by the day partitions of
/// the created-time range, with status and amount filtered by the index. Every hint is checked against the ledger.
/// </summary>
public sealed class RequestSearch(IRefundLedger ledger, RequestIndex index, TimeProvider time)
{
    public async Task<RequestSearchPage> SearchAsync(RequestSearchQuery query, int pageSize, string? continuation, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        if (query.RequestId is not null || query.RefundId is not null)
        {
            return new RequestSearchPage(continuation is null ? await ByIdAsync(query, ct).ConfigureAwait(false) : [], null);
        }

        if (query.OrderId is not null)
        {
            return await ByOrderAsync(query, pageSize, continuation, ct).ConfigureAwait(false);
        }

        var (since, until) = Window(query);
        var (from, below) = Range(since, until);
        var cursor = Cursor.Parse(continuation);
        if (query.ChargeId is not null)
        {
            var charge = await PageAsync(ChargePartition(query.ChargeId), from, below, cursor.After, AmountFilter(query), query, pageSize, ct).ConfigureAwait(false);
            return new RequestSearchPage(charge.Items, charge.After is null ? null : new Cursor(null, charge.After).ToString());
        }

        var filter = string.Join(" and ", new[] { StatusFilter(query), AmountFilter(query) }.OfType<string>());
        var items = new List<RefundRequestRecord>();
        var day = cursor.Day ?? until.AddTicks(-1).UtcDateTime.Date;
        var after = cursor.After;
        for (; day >= since.UtcDateTime.Date && items.Count < pageSize; day = day.AddDays(-1), after = null)
        {
            var page = await PageAsync(DayPartition(new DateTimeOffset(day, TimeSpan.Zero)), from, below, after, filter.Length == 0 ? null : filter, query, pageSize - items.Count, ct).ConfigureAwait(false);
            items.AddRange(page.Items);
            if (page.After is not null)
            {
                return new RequestSearchPage(items, new Cursor(day, page.After).ToString());
            }
        }

        return new RequestSearchPage(items, day >= since.UtcDateTime.Date ? new Cursor(day, null).ToString() : null);
    }

    /// <summary>
    /// Up to <paramref name="max"/> confirmed matches from one index partition, and the row key to continue after when
    /// the partition may hold more (null when it is done).
    /// </summary>
    private async Task<(List<RefundRequestRecord> Items, string? After)> PageAsync(
        string partition, string from, string below, string? after, string? filter, RequestSearchQuery query, int max, CancellationToken ct)
    {
        var items = new List<RefundRequestRecord>();
        while (true)
        {
            var hints = await index.ReadAsync(partition, from, below, after, filter, max - items.Count, ct).ConfigureAwait(false);
            var records = await index.VerifyAsync(hints.Hints, ct).ConfigureAwait(false);
            for (var i = 0; i < records.Count; i++)
            {
                if (records[i] is { } r && query.Matches(r))
                {
                    items.Add(r);
                    if (items.Count == max)
                    {
                        return (items, i == records.Count - 1 && hints.After is null ? null : hints.Hints[i].RowKey);
                    }
                }
            }

            if (hints.After is null)
            {
                return (items, null);
            }

            after = hints.After;
        }
    }

    private async Task<IReadOnlyList<RefundRequestRecord>> ByIdAsync(RequestSearchQuery query, CancellationToken ct)
    {
        var requestId = query.RequestId;
        if (requestId is null && await ledger.GetRefundAsync(query.RefundId!, ct).ConfigureAwait(false) is { RequestId: { } linked })
        {
            requestId = linked;
        }

        return requestId is not null && await ledger.GetRequestAsync(requestId, ct).ConfigureAwait(false) is { } r && query.Matches(r) ? [r] : [];
    }

    private async Task<RequestSearchPage> ByOrderAsync(RequestSearchQuery query, int pageSize, string? continuation, CancellationToken ct)
    {
        var after = Cursor.Parse(continuation).After;
        var order = await ledger.ListOrderAsync(query.OrderId!, ct).ConfigureAwait(false);
        var matching = order.Requests.Where(query.Matches)
            .Select(r => (Key: RowKey(r.CreatedAt, r.RequestId), Record: r))
            .Where(m => after is null || string.CompareOrdinal(m.Key, after) > 0)
            .OrderBy(m => m.Key, StringComparer.Ordinal)
            .ToList();
        var page = matching.Take(pageSize).ToList();
        return new RequestSearchPage([.. page.Select(m => m.Record)], matching.Count > pageSize ? new Cursor(null, page[^1].Key).ToString() : null);
    }

    /// <summary>The created-time range a search covers: as asked, else the last <see cref="RequestSearchQuery.DefaultWindow"/> (all time for a charge).</summary>
    public (DateTimeOffset Since, DateTimeOffset Until) Window(RequestSearchQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var until = query.Until ?? time.GetUtcNow().AddTicks(1);
        var since = query.Since ?? (query.ChargeId is not null ? DateTimeOffset.UnixEpoch : until - RequestSearchQuery.DefaultWindow);
        return (since, until);
    }

    private static string? StatusFilter(RequestSearchQuery query)
        => query.Statuses is null ? null
            : query.Statuses.Count == 0 ? "RequestId eq ''"
            : "(" + string.Join(" or ", query.Statuses.Select(s => $"{StateProperty(s)} gt 0L")) + ")";

    private static string? AmountFilter(RequestSearchQuery query)
    {
        var parts = new List<string>();
        if (query.MinAmount is { } min)
        {
            parts.Add(FormattableString.Invariant($"Amount ge {min}L"));
        }

        if (query.MaxAmount is { } max)
        {
            parts.Add(FormattableString.Invariant($"Amount le {max}L"));
        }

        return parts.Count == 0 ? null : string.Join(" and ", parts);
    }

    /// <summary>Where a search goes on: the day partition (day-range searches) and the row key after which to read.</summary>
    private sealed record Cursor(DateTime? Day, string? After)
    {
        public static Cursor Parse(string? text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return new Cursor(null, null);
            }

            try
            {
                var parts = Encoding.UTF8.GetString(Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/').PadRight((text.Length + 3) / 4 * 4, '='))).Split('\n');
                DateTime? day = parts[0].Length == 0 ? null : DateTime.ParseExact(parts[0], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
                return parts.Length == 2 ? new Cursor(day, parts[1].Length == 0 ? null : parts[1]) : throw new FormatException();
            }
            catch (FormatException)
            {
                throw new OperatorParameterException("continuation", "continuation is not one this search returned.");
            }
        }

        public override string ToString()
            => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Day?.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}\n{After}"))
                .TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
