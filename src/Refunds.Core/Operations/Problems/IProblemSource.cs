namespace Refunds.Core.Operations.Problems;

/// <summary>
/// One kind of problem, newest first. <see cref="ReadAsync"/> resumes after <c>cursor</c> (null: from the newest) and
/// returns each item with the cursor that resumes after it, so the merged list can stop in the middle of a page.
/// </summary>
public interface IProblemSource
{
    /// <summary>The kind it lists (several sources may list one kind, e.g. <c>stuck</c> from two states).</summary>
    string Kind { get; }

    /// <summary>A name unique among the sources, kept in the merged list's continuation.</summary>
    string Name { get; }

    Task<ProblemSourcePage> ReadAsync(ProblemWindow window, string? cursor, int max, CancellationToken ct);

    /// <summary>The problem with this id, if it is one now (for a review).</summary>
    Task<Problem?> FindAsync(string id, CancellationToken ct);
}

/// <summary>The time range asked for (<see cref="Until"/> exclusive) and the time the list is read at.</summary>
public sealed record ProblemWindow(DateTimeOffset Since, DateTimeOffset Until, DateTimeOffset Now);

/// <param name="Items">Newest first, each with the cursor that resumes after it.</param>
/// <param name="Exhausted">True when nothing older is left in the window.</param>
public sealed record ProblemSourcePage(IReadOnlyList<(Problem Problem, string Cursor)> Items, bool Exhausted);
