using System.Text;
using System.Text.Json;

namespace Refunds.Core.Operations.Problems;

/// <summary>
/// Everything that needs a person, newest first: each kind's <see cref="IProblemSource"/> read from its own cursor and
/// merged by time. The continuation holds every source's cursor. A reviewed problem leaves the list unless asked for.
/// </summary>
public sealed class ProblemsList(IEnumerable<IProblemSource> sources, ProblemReviews reviews, TimeProvider time)
{
    /// <summary>Without <c>since</c> the list looks back this far.</summary>
    public static readonly TimeSpan DefaultLookBack = TimeSpan.FromDays(365);

    private readonly IReadOnlyList<IProblemSource> _sources = [.. sources];

    public async Task<ProblemsPage> ReadAsync(ProblemsQuery query, int pageSize, string? continuation, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        var now = time.GetUtcNow();
        var window = new ProblemWindow(query.Since ?? now - DefaultLookBack, query.Until ?? now.AddTicks(1), now);
        var cursors = ParseContinuation(continuation);
        var selected = _sources.Where(s => query.Kinds is null || query.Kinds.Contains(s.Kind)).Where(s => !cursors.TryGetValue(s.Name, out var c) || c is not null).ToList();
        var pages = await Task.WhenAll(selected.Select(s => s.ReadAsync(window, cursors.GetValueOrDefault(s.Name), pageSize, ct))).ConfigureAwait(false);
        var read = selected.Zip(pages).ToList();
        var all = read.SelectMany(r => r.Second.Items.Select(i => i.Problem)).ToList();
        var reviewed = new Dictionary<Problem, ProblemReview?>(ReferenceEqualityComparer.Instance);
        foreach (var (review, problem) in (await reviews.ReadAsync(all, ct).ConfigureAwait(false)).Zip(all))
        {
            reviewed[problem] = review;
        }


        // Items older than a source's last one read may come after that source's unread items: only items at or above
        // the newest such frontier are certain to be in order.
        var frontier = read.Where(r => !r.Second.Exhausted && r.Second.Items.Count > 0).Select(r => r.Second.Items[^1].Problem.Since).DefaultIfEmpty(DateTimeOffset.MinValue).Max();
        var shown = all.Where(p => query.IncludeReviewed || reviewed[p] is null)
            .Where(p => p.Since >= frontier)
            .OrderByDescending(p => p.Since).ThenBy(p => p.Kind, StringComparer.Ordinal).ThenBy(p => p.Id, StringComparer.Ordinal)
            .Take(pageSize)
            .ToHashSet<Problem>(ReferenceEqualityComparer.Instance);

        var next = new Dictionary<string, string?>(cursors, StringComparer.Ordinal);
        foreach (var (source, page) in read)
        {
            // Resume after the longest run of items that were shown or hidden (reviewed); an item passed over for
            // lack of room is read again next time.
            var cursor = cursors.GetValueOrDefault(source.Name) ?? "";
            var consumedAll = true;
            foreach (var (problem, itemCursor) in page.Items)
            {
                if (!shown.Contains(problem) && (query.IncludeReviewed || reviewed[problem] is null))
                {
                    consumedAll = false;
                    break;
                }

                cursor = itemCursor;
            }

            next[source.Name] = consumedAll && page.Exhausted ? null : cursor;
        }

        var items = all.Where(shown.Contains)
            .OrderByDescending(p => p.Since).ThenBy(p => p.Kind, StringComparer.Ordinal).ThenBy(p => p.Id, StringComparer.Ordinal)
            .Select(p => p with { Reviewed = reviewed[p] })
            .ToList();
        var done = selected.All(s => next[s.Name] is null);
        return new ProblemsPage(items, done ? null : Encode(next));
    }

    /// <summary>Marks a problem reviewed; null when no problem of that kind has that id (now).</summary>
    public async Task<Problem?> ReviewAsync(string kind, string id, string by, string note, CancellationToken ct)
    {
        Problem? found = null;
        foreach (var source in _sources.Where(s => s.Kind == kind))
        {
            found ??= await source.FindAsync(id, ct).ConfigureAwait(false);
        }

        if (found is null)
        {
            return null;
        }

        var review = await reviews.RecordAsync(kind, id, by, note, ct).ConfigureAwait(false);
        return found with { Reviewed = review };
    }

    private static Dictionary<string, string?> ParseContinuation(string? continuation)
    {
        if (string.IsNullOrEmpty(continuation))
        {
            return new Dictionary<string, string?>(StringComparer.Ordinal);
        }

        try
        {
            var json = Encoding.UTF8.GetString(Convert.FromBase64String(continuation.Replace('-', '+').Replace('_', '/').PadRight((continuation.Length + 3) / 4 * 4, '=')));
            return JsonSerializer.Deserialize<Dictionary<string, string?>>(json) is { } map
                ? new Dictionary<string, string?>(map, StringComparer.Ordinal)
                : throw new FormatException();
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new OperatorParameterException("continuation", "continuation is not one this list returned.");
        }
    }

    private static string Encode(Dictionary<string, string?> cursors)
        => Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(cursors)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>The list's filters: kinds (null: all), time range of <c>since</c> (until exclusive), reviewed ones too.</summary>
public sealed record ProblemsQuery(IReadOnlyList<string>? Kinds, DateTimeOffset? Since, DateTimeOffset? Until, bool IncludeReviewed)
{
    public static ProblemsQuery Parse(QueryParameters q)
    {
        ArgumentNullException.ThrowIfNull(q);
        var (since, until) = q.TimeRange();
        return new ProblemsQuery(q.List("kind", ProblemKinds.All), since, until, q.Flag("include_reviewed"));
    }
}

public sealed record ProblemsPage(IReadOnlyList<Problem> Items, string? Continuation);
