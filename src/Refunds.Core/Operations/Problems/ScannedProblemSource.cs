using static Refunds.Core.Ledger.RequestIndexRows;

namespace Refunds.Core.Operations.Problems;

/// <summary>
/// A source whose store holds only problems (a small table): read whole, ordered newest first in memory, resumed after
/// the cursor <c>{inverted since}|{id}</c>.
/// </summary>
public abstract class ScannedProblemSource : IProblemSource
{
    public abstract string Kind { get; }

    public virtual string Name => Kind;

    public async Task<ProblemSourcePage> ReadAsync(ProblemWindow window, string? cursor, int max, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(window);
        var all = await LoadAsync(window, ct).ConfigureAwait(false);
        var ordered = all.Where(p => p.Since >= window.Since && p.Since < window.Until)
            .Select(p => (Problem: p, Cursor: Inverted(p.Since) + "|" + p.Id))
            .Where(p => cursor is null || string.CompareOrdinal(p.Cursor, cursor) > 0)
            .OrderBy(p => p.Cursor, StringComparer.Ordinal)
            .ToList();
        return new ProblemSourcePage([.. ordered.Take(max)], ordered.Count <= max);
    }

    public abstract Task<Problem?> FindAsync(string id, CancellationToken ct);

    /// <summary>The row an id <c>{partition}|{row key}</c> names, or null.</summary>
    protected static async Task<Azure.Data.Tables.TableEntity?> ReadRowAsync(Azure.Data.Tables.TableClient table, string id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(id);
        var bar = id.IndexOf('|', StringComparison.Ordinal);
        if (bar <= 0)
        {
            return null;
        }

        var row = await table.GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>(id[..bar], id[(bar + 1)..], cancellationToken: ct).ConfigureAwait(false);
        return row.HasValue ? row.Value : null;
    }

    /// <summary>Every problem of the kind (the window is a hint: rows outside it are dropped by the caller).</summary>
    protected abstract Task<IReadOnlyList<Problem>> LoadAsync(ProblemWindow window, CancellationToken ct);
}
