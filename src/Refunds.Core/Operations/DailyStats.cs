using System.Globalization;
using Refunds.Core.Ledger;
using static Refunds.Core.Ledger.RequestIndexRows;

namespace Refunds.Core.Operations;

/// <summary>
/// Requests per UTC day and outcome (count and amount in fen), from the request index's day partitions: one partition
/// query per day. A day row hinting at more than one state (a write in flight, or one that crashed) is checked
/// against the ledger.
/// </summary>
public sealed class DailyStats(RequestIndex index, TimeProvider time)
{
    public const int MaxDays = 366;

    public async Task<IReadOnlyList<StatsDay>> ReadAsync(int days, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        var today = time.GetUtcNow().UtcDateTime.Date;
        var result = new List<StatsDay>(days);
        for (var day = today.AddDays(1 - days); day <= today; day = day.AddDays(1))
        {
            var start = new DateTimeOffset(day, TimeSpan.Zero);
            var (from, below) = Range(start, start.AddDays(1));
            var page = await index.ReadAsync(DayPartition(start), from, below, null, null, int.MaxValue, ct).ConfigureAwait(false);
            var unsure = page.Hints.Where(h => h.States.Count > 1).ToList();
            var checkedStates = unsure.Count == 0 ? [] : await index.VerifyAsync(unsure, ct).ConfigureAwait(false);
            var truth = unsure.Zip(checkedStates).ToDictionary(p => p.First.RowKey, p => p.Second, StringComparer.Ordinal);
            var outcomes = new SortedDictionary<string, StatsOutcome>(StringComparer.Ordinal);
            foreach (var hint in page.Hints)
            {
                var (state, amount) = truth.TryGetValue(hint.RowKey, out var record)
                    ? (record?.State.ToString(), record?.ChargeAmount)
                    : (hint.Status, hint.Amount);
                if (state is null)
                {
                    continue;
                }

                var key = StateNames.ToApi(state);
                var sum = outcomes.GetValueOrDefault(key) ?? new StatsOutcome(0, 0);
                outcomes[key] = new StatsOutcome(sum.Count + 1, sum.Amount + (amount ?? 0));
            }

            result.Add(new StatsDay(day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), outcomes));
        }

        return result;
    }
}

/// <summary>One UTC day: per state (API spelling), how many requests created that day are in it and their amount.</summary>
public sealed record StatsDay(string Date, IReadOnlyDictionary<string, StatsOutcome> Outcomes);

public sealed record StatsOutcome(long Count, long Amount);
