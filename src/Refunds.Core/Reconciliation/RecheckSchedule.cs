using System.Globalization;

namespace Refunds.Core.Reconciliation;

/// <summary>
/// When a finished order is listed again: a decaying series of gaps after the order entered the watch, the last gap
/// repeating, and one last re-check when the window ends. Written as <c>gap[*count],gap[*count],…</c>, e.g. the default
/// <c>00:10:00,01:00:00*24,1.00:00:00</c>: 10 minutes after the last open work ended, then hourly for a day, then daily
/// until the window (30 days) is over: 54 re-checks per order.
/// </summary>
public sealed class RecheckSchedule
{
    public const string Default = "00:10:00,01:00:00*24,1.00:00:00";

    /// <summary>More re-checks per order than this is a mistake in the settings (a gap far too short for the window).</summary>
    public const int MaxRechecks = 1000;

    private readonly TimeSpan[] _gaps;

    private RecheckSchedule(TimeSpan[] gaps, TimeSpan window)
    {
        _gaps = gaps;
        Window = window;
    }

    public TimeSpan Window { get; }

    /// <summary>How many re-checks an order gets over the whole window.</summary>
    public int Count
    {
        get
        {
            var step = 0;
            while (Offset(step) is not null)
            {
                step++;
            }

            return step;
        }
    }

    /// <summary>Parses <paramref name="text"/>; null with <paramref name="error"/> when it is not a schedule for <paramref name="window"/>.</summary>
    public static RecheckSchedule? TryParse(string? text, TimeSpan window, out string? error)
    {
        error = null;
        if (window <= TimeSpan.Zero)
        {
            error = "the watch window must be positive";
            return null;
        }

        var gaps = new List<TimeSpan>();
        foreach (var item in (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var star = item.IndexOf('*', StringComparison.Ordinal);
            var span = star < 0 ? item : item[..star].TrimEnd();
            var count = 1;
            if (!TimeSpan.TryParse(span, CultureInfo.InvariantCulture, out var gap) || gap < TimeSpan.FromSeconds(1))
            {
                error = $"'{item}' is not a gap of at least 1 second (e.g. 01:00:00 or 01:00:00*24)";
                return null;
            }

            if (star >= 0 && (!int.TryParse(item[(star + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > MaxRechecks))
            {
                error = $"'{item}': the repeat count after * must be between 1 and {MaxRechecks}";
                return null;
            }

            gaps.AddRange(Enumerable.Repeat(gap, count));
            if (gaps.Count > MaxRechecks)
            {
                break;
            }
        }

        if (gaps.Count == 0)
        {
            error = "it names no gap (e.g. " + Default + ")";
            return null;
        }

        var schedule = new RecheckSchedule([.. gaps.Take(MaxRechecks + 1)], window);
        if (schedule.Offset(MaxRechecks) is not null)
        {
            error = $"it makes more than {MaxRechecks} re-checks per order in the window {window}: make the gaps longer";
            return null;
        }

        return schedule;
    }

    /// <summary>When re-check <paramref name="step"/> (0 = the first) of an order that entered the watch at <paramref name="enteredAt"/> is due; null once the window is over.</summary>
    public DateTimeOffset? Due(DateTimeOffset enteredAt, int step) => Offset(step) is { } offset ? enteredAt + offset : null;

    private TimeSpan? Offset(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        var offset = TimeSpan.Zero;
        for (var i = 0; i <= step; i++)
        {
            offset += _gaps[Math.Min(i, _gaps.Length - 1)];
            if (offset >= Window)
            {
                // The last re-check falls on the window's end; none after it.
                return i == step ? Window : null;
            }
        }

        return offset;
    }
}
