using Azure;
using Azure.Data.Tables;
using Refunds.Core.Configuration;
using Refunds.Core.Storage;
using static Refunds.Core.Ledger.RequestIndexRows;

namespace Refunds.Core.Ledger;

/// <summary>
/// The request index (<see cref="RequestIndexRows"/>): hints that let a search or the problems list read only the
/// partitions that can hold its answer, checked against the ledger before anything is shown.
/// </summary>
/// <remarks>
/// Write protocol, like the open-work index: <see cref="BeforeAsync"/> merges the new state into the hints before the
/// ledger write (a merge never removes the old state's hint), <see cref="AfterAsync"/> settles them after it (the
/// state written, dropping the state left and any hint older than <see cref="SettleWindow"/>). A crash in between
/// leaves both states hinted: an extra hint, never a missing one. Readers drop what the ledger does not confirm and
/// settle hints older than the window (<see cref="VerifyAsync"/>).
/// </remarks>
public sealed class RequestIndex
{
    /// <summary>A hint younger than this may belong to a write still in flight: kept by settles and readers.</summary>
    public static readonly TimeSpan SettleWindow = TimeSpan.FromMinutes(10);

    private const int VerifyConcurrency = 16;
    private const int MaxSettleTries = 4;
    private readonly TableHandle _ledger;
    private readonly TableHandle _index;
    private readonly TimeProvider _time;

    public RequestIndex(TableServiceClient service, TimeProvider time, string ledgerTableName = StorageNames.RefundLedgerTable, string indexTableName = StorageNames.RequestIndexTable)
        : this(new TableHandle(service, ledgerTableName), new TableHandle(service, indexTableName), time)
    {
    }

    internal RequestIndex(TableHandle ledger, TableHandle index, TimeProvider time)
    {
        _ledger = ledger;
        _index = index;
        _time = time;
    }

    /// <summary>
    /// Before a ledger write that records <paramref name="to"/> (coming from <paramref name="from"/>, null for a new
    /// request): hints its state (and <paramref name="alsoPossible"/>) on the day row, adds its state row and, for a
    /// new request, its charge row.
    /// </summary>
    internal async Task BeforeAsync(string partition, RefundRequestState? from, RefundRequestRecord to, CancellationToken ct, RefundRequestState? alsoPossible = null)
    {
        var index = await _index.GetAsync(ct).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var day = Day(partition, to);
        var writes = new List<Task>();
        foreach (var state in new[] { from, to.State, alsoPossible }.OfType<RefundRequestState>().Distinct())
        {
            day[StateProperty(state.ToString())] = now.UtcTicks;
        }

        if (from != to.State && HasStateRows(to.State.ToString()))
        {
            var stateRow = RowKey(now, to.RequestId);
            day[StateRowProperty(to.State.ToString())] = stateRow;
            writes.Add(index.UpsertEntityAsync(Pointer(StatePartition(to.State.ToString()), stateRow, partition, to), TableUpdateMode.Replace, ct));
        }

        if (alsoPossible is { } also && also != to.State && also != from && HasStateRows(also.ToString()))
        {
            var stateRow = RowKey(now, to.RequestId);
            day[StateRowProperty(also.ToString())] = stateRow;
            writes.Add(index.UpsertEntityAsync(Pointer(StatePartition(also.ToString()), stateRow, partition, to), TableUpdateMode.Replace, ct));
        }

        if (from is null && HasChargeRow(to))
        {
            writes.Add(index.UpsertEntityAsync(Pointer(ChargePartition(to.Charge!), day.RowKey, partition, to), TableUpdateMode.Replace, ct));
        }

        writes.Add(index.UpsertEntityAsync(day, TableUpdateMode.Merge, ct));
        await Task.WhenAll(writes).ConfigureAwait(false);
    }

    /// <summary>After the ledger wrote <paramref name="written"/> (leaving <paramref name="left"/>): the hints say what the ledger says.</summary>
    internal Task AfterAsync(string partition, RefundRequestState? left, RefundRequestRecord written, CancellationToken ct)
        => SettleAsync(partition, written, left, ct);

    /// <summary>
    /// Rewrites the day row of <paramref name="truth"/> (read with its ETag, replaced only if unchanged) to hint its
    /// state, keeping other hints younger than <see cref="SettleWindow"/> except <paramref name="left"/>, and deletes
    /// the state rows of the hints it drops.
    /// </summary>
    private async Task SettleAsync(string partition, RefundRequestRecord truth, RefundRequestState? left, CancellationToken ct)
    {
        var index = await _index.GetAsync(ct).ConfigureAwait(false);
        var state = truth.State.ToString();
        var keep = _time.GetUtcNow() - SettleWindow;
        for (var attempt = 0; attempt < MaxSettleTries; attempt++)
        {
            var fresh = Day(partition, truth);
            var read = await index.GetEntityIfExistsAsync<TableEntity>(fresh.PartitionKey, fresh.RowKey, cancellationToken: ct).ConfigureAwait(false);
            var dropped = new List<string>();
            if (read.HasValue)
            {
                foreach (var (hinted, at) in HintedStates(read.Value!))
                {
                    var stays = hinted == state || (at > keep && hinted != left?.ToString());
                    if (stays)
                    {
                        fresh[StateProperty(hinted)] = at.UtcTicks;
                        fresh[StateRowProperty(hinted)] = read.Value!.GetString(StateRowProperty(hinted));
                    }
                    else if (read.Value!.GetString(StateRowProperty(hinted)) is { } stale)
                    {
                        dropped.Add(StatePartition(hinted) + "\n" + stale);
                    }
                }
            }

            if (!fresh.ContainsKey(StateProperty(state)))
            {
                // Hinted by no before-write (a request older than the index): index its state now.
                fresh[StateProperty(state)] = truth.UpdatedAt.UtcTicks;
                if (HasStateRows(state))
                {
                    var stateRow = RowKey(truth.UpdatedAt, truth.RequestId);
                    fresh[StateRowProperty(state)] = stateRow;
                    await index.UpsertEntityAsync(Pointer(StatePartition(state), stateRow, partition, truth), TableUpdateMode.Replace, ct).ConfigureAwait(false);
                }
            }

            try
            {
                if (read.HasValue)
                {
                    await index.UpdateEntityAsync(fresh, read.Value!.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                }
                else
                {
                    await index.AddEntityAsync(fresh, ct).ConfigureAwait(false);
                }
            }
            catch (RequestFailedException e) when (TableStatus.IsConcurrencyLoss(e))
            {
                continue;
            }

            foreach (var row in dropped)
            {
                var parts = row.Split('\n');
                await DeleteIfExistsAsync(index, parts[0], parts[1], ETag.All, ct).ConfigureAwait(false);
            }

            return;
        }
    }

    /// <summary>
    /// Hints of one index partition in key order, from row key <paramref name="from"/> (inclusive) to
    /// <paramref name="below"/> (exclusive), after <paramref name="after"/>, matching <paramref name="filter"/> (OData on
    /// the row's properties, or null): at most <paramref name="max"/>, and where to continue.
    /// </summary>
    public async Task<RequestHintPage> ReadAsync(string indexPartition, string from, string below, string? after, string? filter, int max, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var index = await _index.GetAsync(ct).ConfigureAwait(false);
        var start = after is not null && string.CompareOrdinal(after, from) >= 0
            ? TableClient.CreateQueryFilter($"RowKey gt {after}")
            : TableClient.CreateQueryFilter($"RowKey ge {from}");
        var query = TableClient.CreateQueryFilter($"PartitionKey eq {indexPartition} and RowKey lt {below}") + " and " + start
                    + (filter is null ? "" : " and (" + filter + ")");
        var hints = new List<RequestHint>();
        await foreach (var row in index.QueryAsync<TableEntity>(query, maxPerPage: Math.Min(max, 1000), cancellationToken: ct).ConfigureAwait(false))
        {
            hints.Add(ToHint(row));
            if (hints.Count == max)
            {
                return new RequestHintPage(hints, row.RowKey);
            }
        }

        return new RequestHintPage(hints, null);
    }

    /// <summary>
    /// The ledger's record behind each hint (null where the ledger does not confirm it: no such request, created at
    /// another time, or not in the hinted state), read in parallel. Hints older than <see cref="SettleWindow"/> that the
    /// ledger contradicts are cleaned.
    /// </summary>
    public async Task<IReadOnlyList<RefundRequestRecord?>> VerifyAsync(IReadOnlyList<RequestHint> hints, CancellationToken ct)
    {
        var ledger = await _ledger.GetAsync(ct).ConfigureAwait(false);
        var index = await _index.GetAsync(ct).ConfigureAwait(false);
        var results = new RefundRequestRecord?[hints.Count];
        var stale = _time.GetUtcNow() - SettleWindow;
        await Parallel.ForEachAsync(Enumerable.Range(0, hints.Count), new ParallelOptions { MaxDegreeOfParallelism = VerifyConcurrency, CancellationToken = ct }, async (i, token) =>
        {
            var hint = hints[i];
            var read = await LedgerPartitionReader.ReadRequestAsync(ledger, hint.LedgerPartition, hint.RequestId, token).ConfigureAwait(false);
            var record = read?.Record;
            var state = hint.IndexPartition.StartsWith("state|", StringComparison.Ordinal) ? hint.IndexPartition["state|".Length..] : null;
            var confirmed = record is not null && record.CreatedAt.UtcTicks == hint.CreatedAt.UtcTicks && (state is null || record.State.ToString() == state);
            results[i] = confirmed ? record : null;
            if (hint.HintedAt > stale && (!confirmed || state is not null))
            {
                return;
            }

            if (!confirmed)
            {
                // Left by a write that never reached the ledger (or moved on long ago): the ledger says otherwise.
                foreach (var (pk, rk) in hint.Pointers)
                {
                    await DeleteIfExistsAsync(index, pk, rk, ETag.All, token).ConfigureAwait(false);
                }

                await DeleteIfExistsAsync(index, hint.IndexPartition, hint.RowKey, ETag.All, token).ConfigureAwait(false);
            }
            else if (state is null && hint.States.Count > 1 && hint.IndexPartition.StartsWith("day|", StringComparison.Ordinal))
            {
                await SettleAsync(hint.LedgerPartition, record!, null, token).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
        return results;
    }

    /// <summary>Writes the hints of many recorded requests at once (entity-group batches per partition): for seeding a copy of the ledger's index.</summary>
    public async Task SeedAsync(IEnumerable<(string LedgerPartition, RefundRequestRecord Request)> requests, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var index = await _index.GetAsync(ct).ConfigureAwait(false);
        var rows = new List<TableEntity>();
        foreach (var (partition, r) in requests)
        {
            var day = Day(partition, r);
            day[StateProperty(r.State.ToString())] = r.UpdatedAt.UtcTicks;
            rows.Add(day);
            if (HasStateRows(r.State.ToString()))
            {
                var stateRow = RowKey(r.UpdatedAt, r.RequestId);
                day[StateRowProperty(r.State.ToString())] = stateRow;
                rows.Add(Pointer(StatePartition(r.State.ToString()), stateRow, partition, r));
            }
            if (HasChargeRow(r))
            {
                rows.Add(Pointer(ChargePartition(r.Charge!), day.RowKey, partition, r));
            }
        }

        var batches = rows.GroupBy(r => r.PartitionKey, StringComparer.Ordinal)
            .SelectMany(g => g.Chunk(100))
            .Select(chunk => chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)).ToList());
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (batch, token) => await index.SubmitTransactionAsync(batch, token).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private static async Task DeleteIfExistsAsync(TableClient index, string partition, string rowKey, ETag etag, CancellationToken ct)
    {
        try
        {
            await index.DeleteEntityAsync(partition, rowKey, etag, ct).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is TableStatus.NotFound or TableStatus.PreconditionFailed)
        {
            // Gone already, or rewritten meanwhile: nothing stale to remove.
        }
    }

    private static RequestHint ToHint(TableEntity row)
    {
        var states = HintedStates(row);
        return new RequestHint(
            row.GetString("RequestId")!,
            row.GetString("Partition")!,
            row.GetDateTimeOffset("CreatedAt") ?? default,
            row.PartitionKey,
            row.RowKey,
            TimeOf(row.RowKey))
        {
            States = [.. states.Keys],
            HintedAt = states.Count == 0 ? TimeOf(row.RowKey) : states.Values.Max(),
            Status = row.GetString("Status"),
            Amount = row.GetInt64("Amount"),
            Pointers = !row.PartitionKey.StartsWith("day|", StringComparison.Ordinal) ? [] :
            [
                .. states.Keys.Select(s => (StatePartition(s), row.GetString(StateRowProperty(s)))).Where(p => p.Item2 is not null).Select(p => (p.Item1, p.Item2!)),
                .. row.GetString("Charge") is { } charge && TableKeys.IsValidId(charge) ? new[] { (ChargePartition(charge), row.RowKey) } : [],
            ],
        };
    }
}
