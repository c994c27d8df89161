using Azure.Data.Tables;
using Refunds.Core.Storage;

namespace Refunds.Core.Operations.Problems;

/// <summary>
/// Verified webhook events stored but not applied (<c>Applied = false</c>, not refused) for longer than
/// <see cref="Grace"/>: a delivery applies its event within the request, so older ones were left by a failure.
/// Served by a filtered query over the <c>WebhookEvents</c> table (docs/operations.md: a scan; no index is kept).
/// </summary>
public sealed class UnappliedWebhookProblemSource(TableServiceClient service, string tableName) : ScannedProblemSource
{
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(5);

    private readonly TableHandle _table = new(service, tableName);

    public override string Kind => ProblemKinds.UnappliedWebhook;

    protected override async Task<IReadOnlyList<Problem>> LoadAsync(ProblemWindow window, CancellationToken ct)
    {
        var until = window.Now - Grace < window.Until ? window.Now - Grace : window.Until;
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"Applied eq false and ReceivedAt ge {window.Since} and ReceivedAt lt {until}");
        var items = new List<Problem>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: Columns, cancellationToken: ct).ConfigureAwait(false))
        {
            if (row.GetString("Refused") is null)
            {
                items.Add(ToProblem(row));
            }
        }

        return items;
    }

    public override async Task<Problem?> FindAsync(string id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (TableKeys.IdProblem(id) is not null)
        {
            return null;
        }

        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(Webhooks.WebhookEventStore.PartitionKeyFor(id), id, Columns, ct).ConfigureAwait(false);
        return row.HasValue && row.Value!.GetBoolean("Applied") == false && row.Value.GetString("Refused") is null ? ToProblem(row.Value) : null;
    }

    private static readonly string[] Columns = ["PartitionKey", "RowKey", "Type", "ReceivedAt", "OrderId", "RefundId", "RequestId", "ChargeId", "Applied", "Refused"];

    private static Problem ToProblem(TableEntity row) => new()
    {
        Kind = ProblemKinds.UnappliedWebhook,
        Id = row.RowKey,
        EventId = row.RowKey,
        OrderId = row.GetString("OrderId"),
        RefundId = row.GetString("RefundId"),
        RequestId = row.GetString("RequestId"),
        Summary = $"{row.GetString("Type")} event {row.RowKey} was verified and stored but not applied",
        Since = row.GetDateTimeOffset("ReceivedAt") ?? default,
        State = "pending",
        Actions = [ProblemKinds.Reapply, ProblemKinds.Review],
        Details = new Dictionary<string, object?> { ["type"] = row.GetString("Type"), ["charge"] = row.GetString("ChargeId") },
    };
}
