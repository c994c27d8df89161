using Azure.Data.Tables;
using Refunds.Core.Storage;

namespace Refunds.Core.Operations.Problems;

/// <summary>Reconciliation's discrepancies (the <c>Discrepancies</c> table holds nothing else); id <c>{partition}|{row key}</c>.</summary>
public sealed class DiscrepancyProblemSource(TableServiceClient service, string tableName) : ScannedProblemSource
{
    private readonly TableHandle _table = new(service, tableName);

    public override string Kind => ProblemKinds.Discrepancy;

    protected override async Task<IReadOnlyList<Problem>> LoadAsync(ProblemWindow window, CancellationToken ct)
    {
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var items = new List<Problem>();
        await foreach (var row in table.QueryAsync<TableEntity>(cancellationToken: ct).ConfigureAwait(false))
        {
            items.Add(ToProblem(row));
        }

        return items;
    }

    public override async Task<Problem?> FindAsync(string id, CancellationToken ct)
    {
        var row = await ReadRowAsync(await _table.GetAsync(ct).ConfigureAwait(false), id, ct).ConfigureAwait(false);
        return row is null ? null : ToProblem(row);
    }

    private static Problem ToProblem(TableEntity row)
    {
        var kind = row.GetString("Kind") ?? "";
        return new Problem
        {
            Kind = ProblemKinds.Discrepancy,
            Id = row.PartitionKey + "|" + row.RowKey,
            OrderId = row.GetString("OrderId") is { } order && !order.Contains('|', StringComparison.Ordinal) ? order : null,
            RefundId = row.GetString("RefundId"),
            RequestId = row.GetString("RequestId"),
            Summary = $"{kind}: ledger says {row.GetString("LedgerView")}; Ping++ says {row.GetString("PingppView")}",
            Since = row.GetDateTimeOffset("FirstSeenAt") ?? row.Timestamp ?? default,
            State = StateNames.ToApi(kind),
            Actions = [ProblemKinds.Review],
            Details = new Dictionary<string, object?>
            {
                ["discrepancy"] = StateNames.ToApi(kind),
                ["ledger_view"] = row.GetString("LedgerView"),
                ["pingpp_view"] = row.GetString("PingppView"),
                ["last_seen_at"] = row.GetDateTimeOffset("LastSeenAt"),
            },
        };
    }
}
