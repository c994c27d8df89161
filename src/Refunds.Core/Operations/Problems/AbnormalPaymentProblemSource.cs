using System.Text.Json;
using Azure.Data.Tables;
using Refunds.Core.Ledger;
using Refunds.Core.Anomalies;
using Refunds.Core.Storage;

namespace Refunds.Core.Operations.Problems;

/// <summary>
/// Abnormal payments (the <c>Anomalies</c> table's anomaly rows), each with the state of the automatic refund requests
/// that settle it; id <c>{order id}|{kind slug}</c>.
/// </summary>
public sealed class AbnormalPaymentProblemSource(TableServiceClient service, string tableName, IRequestStore ledger) : ScannedProblemSource
{
    private readonly TableHandle _table = new(service, tableName);

    public override string Kind => ProblemKinds.AbnormalPayment;

    protected override async Task<IReadOnlyList<Problem>> LoadAsync(ProblemWindow window, CancellationToken ct)
    {
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(cancellationToken: ct).ConfigureAwait(false))
        {
            if (row.GetString("Kind") is not null && row.GetDateTimeOffset("FirstSeenAt") is { } seen && seen >= window.Since && seen < window.Until)
            {
                rows.Add(row);
            }
        }

        var items = new List<Problem>(rows.Count);
        foreach (var row in rows)
        {
            items.Add(await ToProblemAsync(row, ct).ConfigureAwait(false));
        }

        return items;
    }

    public override async Task<Problem?> FindAsync(string id, CancellationToken ct)
    {
        var row = await ReadRowAsync(await _table.GetAsync(ct).ConfigureAwait(false), id, ct).ConfigureAwait(false);
        return row?.GetString("Kind") is not null ? await ToProblemAsync(row, ct).ConfigureAwait(false) : null;
    }

    private async Task<Problem> ToProblemAsync(TableEntity row, CancellationToken ct)
    {
        var plan = JsonSerializer.Deserialize<List<PlannedAnomalyRefund>>(row.GetString("Plan") ?? "[]") ?? [];
        var refunds = new List<Dictionary<string, object?>>();
        foreach (var planned in plan)
        {
            var request = await ledger.GetRequestAsync(planned.RequestId, ct).ConfigureAwait(false);
            refunds.Add(new Dictionary<string, object?>
            {
                ["request_id"] = planned.RequestId,
                ["charge"] = planned.ChargeId,
                ["amount"] = planned.Amount,
                ["state"] = request is null ? "not_requested" : StateNames.ToApi(request.State.ToString()),
            });
        }

        var kind = row.GetString("Kind")!;
        var states = refunds.Select(r => (string)r["state"]!).Distinct().ToList();
        return new Problem
        {
            Kind = ProblemKinds.AbnormalPayment,
            Id = row.PartitionKey + "|" + row.RowKey,
            OrderId = row.PartitionKey,
            RequestId = plan.Count == 1 ? plan[0].RequestId : null,
            Amount = row.GetInt64("AmountToRefund"),
            Summary = $"{kind} on order {row.PartitionKey}: paid {row.GetInt64("AmountPaid")} of {row.GetInt64("ActualAmount")} fen, "
                      + $"{row.GetInt64("AmountToRefund")} to refund; automatic refund {(states.Count == 0 ? "not planned" : string.Join("/", states))} ({row.GetString("Outcome")})",
            Since = row.GetDateTimeOffset("FirstSeenAt") ?? default,
            State = states.Count == 1 ? states[0] : row.GetString("Outcome"),
            Actions = [ProblemKinds.Review],
            Details = new Dictionary<string, object?>
            {
                ["anomaly"] = StateNames.ToApi(kind),
                ["outcome"] = row.GetString("Outcome"),
                ["source"] = row.GetString("Source"),
                ["refunds"] = refunds,
                ["last_seen_at"] = row.GetDateTimeOffset("LastSeenAt"),
            },
        };
    }
}
