using Azure.Data.Tables;
using Refunds.Core.Storage;

namespace Refunds.Core.Operations.Problems;

/// <summary>
/// The <c>ProblemReviews</c> table: PartitionKey = kind, RowKey = the problem's id; who reviewed it, when, with what
/// note. A review covers the problem as it was: one that is a problem again since (a newer <c>since</c>) shows again.
/// </summary>
public sealed class ProblemReviews(TableServiceClient service, TimeProvider time, string tableName)
{
    private readonly TableHandle _table = new(service, tableName);

    public async Task<ProblemReview> RecordAsync(string kind, string id, string by, string note, CancellationToken ct)
    {
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var review = new ProblemReview(by, time.GetUtcNow(), note);
        await table.UpsertEntityAsync(new TableEntity(kind, Key(id)) { ["Id"] = id, ["By"] = by, ["At"] = review.At, ["Note"] = note }, TableUpdateMode.Replace, ct).ConfigureAwait(false);
        return review;
    }

    /// <summary>The review of each problem that still covers it (reviewed at or after its <c>since</c>), else null; point reads in parallel.</summary>
    public async Task<IReadOnlyList<ProblemReview?>> ReadAsync(IReadOnlyList<Problem> problems, CancellationToken ct)
    {
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var reads = problems.Select(async p =>
        {
            var row = await table.GetEntityIfExistsAsync<TableEntity>(p.Kind, Key(p.Id), cancellationToken: ct).ConfigureAwait(false);
            return row.HasValue && row.Value!.GetDateTimeOffset("At") is { } at && at >= p.Since
                ? new ProblemReview(row.Value.GetString("By") ?? "", at, row.Value.GetString("Note") ?? "")
                : null;
        });
        return await Task.WhenAll(reads).ConfigureAwait(false);
    }

    /// <summary>Ids may hold characters keys may not (<c>/</c>, <c>#</c>, …): those are escaped.</summary>
    private static string Key(string id) => Uri.EscapeDataString(id);
}
