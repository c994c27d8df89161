using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Refunds.Core.Configuration;
using Refunds.Core.Pingpp;
using Refunds.Core.Storage;

namespace Refunds.Core.Reconciliation;

/// <summary>
/// Refunds Ping++ reported (a webhook, a listing) whose order we cannot name: kept with the raw JSON they came with,
/// the charge lookups tried on them and their outcome, and listed newest first without scanning the ledger. The
/// operator's problems list reads <see cref="ListAsync"/> as kind <c>unplaced_refund</c>; <see cref="UnplacedRefundPlacer"/>
/// retries the lookups from the reconcile timer.
/// </summary>
/// <remarks>
/// One partition (<c>unplaced-refunds</c>) of the reconcile index table holds two rows per refund, written together in
/// one entity-group transaction: the record (RowKey <c>id|{refundId}</c>, found by point read) and, while the refund is
/// unplaced, its listing row (RowKey <c>{inverted first-seen ticks, 19 digits}|{refundId}</c>), so a range query on
/// RowKey returns the unplaced refunds newest first and a time window is a key range. A placed refund loses its
/// listing row and keeps its record (with the order it was placed in). Nothing here is ever counted as ours: this
/// store holds what Ping++ said, not a request.
/// </remarks>
public sealed class UnplacedRefundStore(TableServiceClient service, TimeProvider time, string tableName = StorageNames.ReconcileIndexTable)
{
    /// <summary>The most raw JSON kept per refund (a property holds 32K UTF-16 characters); longer text is cut with a marker.</summary>
    public const int MaxRawJsonChars = 30_000;

    private const string Partition = "unplaced-refunds";
    private const string IdPrefix = "id|";
    private const int MaxPageSize = 1000;

    private readonly TableHandle _table = new(service, tableName);

    /// <summary>
    /// Keeps a refund whose order is unknown, with the JSON it was reported in. Idempotent: a refund already kept keeps
    /// its first-seen time and raw JSON and takes the newer status. Returns true when the refund is new here.
    /// </summary>
    public async Task<bool> RecordAsync(PingppRefund refund, string rawJson, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(refund);
        ArgumentNullException.ThrowIfNull(rawJson);
        TableKeys.RequireValidId(refund.Id, nameof(refund));
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        return await OptimisticRetry.RunAsync<bool>($"keep unplaced refund {refund.Id}", async attempt =>
        {
            // Expected new: the first try adds without a read (an existing record fails it with 409; the retry reads).
            var row = attempt == 0 ? null : await table.GetEntityIfExistsAsync<TableEntity>(Partition, IdPrefix + refund.Id, cancellationToken: ct).ConfigureAwait(false);
            var known = row is { HasValue: true } ? ToRecord(row.Value!) : null;
            if (known is not null && (known.Status == refund.Status || known.PlacedOrderId is not null))
            {
                return false;
            }

            var next = known is null
                ? new UnplacedRefund
                {
                    RefundId = refund.Id,
                    ChargeId = refund.Charge,
                    Amount = refund.Amount,
                    Status = refund.Status,
                    FirstSeenAt = time.GetUtcNow(),
                    RawJson = Truncate(rawJson),
                }
                : known with { Status = refund.Status };
            if (await TryWriteAsync(table, next, known, row is { HasValue: true } ? row.Value!.ETag : null, ct).ConfigureAwait(false))
            {
                return known is null;
            }

            return attempt == 0 ? OptimisticRetry.AgainNow : OptimisticRetry.Again;
        }, ct).ConfigureAwait(false);
    }

    /// <summary>The kept record of <paramref name="refundId"/> (placed or not), or null when it was never unplaced.</summary>
    public async Task<UnplacedRefund?> GetAsync(string refundId, CancellationToken ct)
    {
        TableKeys.RequireValidId(refundId, nameof(refundId));
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(Partition, IdPrefix + refundId, cancellationToken: ct).ConfigureAwait(false);
        return row.HasValue ? ToRecord(row.Value!) : null;
    }

    /// <summary>
    /// Records one charge lookup: <paramref name="outcome"/> says what it found, <paramref name="placedOrderId"/> the
    /// order it placed the refund in (which takes it off the list), or null when it stays unplaced. Returns the record
    /// as written, or null when the refund is not kept here.
    /// </summary>
    public async Task<UnplacedRefund?> RecordLookupAsync(string refundId, string outcome, string? placedOrderId, CancellationToken ct)
    {
        TableKeys.RequireValidId(refundId, nameof(refundId));
        ArgumentException.ThrowIfNullOrEmpty(outcome);
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        return await OptimisticRetry.RunAsync<UnplacedRefund?>($"record a lookup of unplaced refund {refundId}", async _ =>
        {
            var row = await table.GetEntityIfExistsAsync<TableEntity>(Partition, IdPrefix + refundId, cancellationToken: ct).ConfigureAwait(false);
            if (!row.HasValue)
            {
                return (UnplacedRefund?)null;
            }

            var known = ToRecord(row.Value!);
            var next = known with
            {
                LookupAttempts = known.LookupAttempts + 1,
                LastLookupAt = time.GetUtcNow(),
                LookupOutcome = outcome,
                PlacedOrderId = known.PlacedOrderId ?? placedOrderId,
            };
            if (await TryWriteAsync(table, next, known, row.Value!.ETag, ct).ConfigureAwait(false))
            {
                return next;
            }

            return OptimisticRetry.Again;
        }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The refunds still unplaced, newest first by when we first saw them, first seen in [<paramref name="since"/>,
    /// <paramref name="until"/>) (either bound may be null: open). One range query of one partition: never a scan of
    /// the ledger. <paramref name="pageSize"/> is 1..1000; pass the returned continuation to read the next page (null
    /// when there is none).
    /// </summary>
    public async Task<UnplacedRefundPage> ListAsync(DateTimeOffset? since, DateTimeOffset? until, int pageSize, string? continuation, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, MaxPageSize);
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        // Newer is smaller: first seen < until ⇔ key ≥ key(until) + 1; first seen ≥ since ⇔ key < key(since) + 1.
        var lower = until is { } u ? Inverted(u, plusOne: true) : new string('0', 19);
        var upper = since is { } s ? Inverted(s, plusOne: true) : ":";
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and RowKey ge {lower} and RowKey lt {upper}");
        await foreach (var page in table.QueryAsync<TableEntity>(filter, maxPerPage: pageSize, cancellationToken: ct).AsPages(continuation, pageSize).ConfigureAwait(false))
        {
            return new UnplacedRefundPage([.. page.Values.Select(ToRecord)], page.ContinuationToken);
        }

        return new UnplacedRefundPage([], null);
    }

    /// <summary>
    /// Writes the record and, in the same transaction, its listing row: kept in step while unplaced, deleted when this
    /// write places it. False when another writer came first.
    /// </summary>
    private static async Task<bool> TryWriteAsync(TableClient table, UnplacedRefund record, UnplacedRefund? previous, ETag? etag, CancellationToken ct)
    {
        var actions = new List<TableTransactionAction>
        {
            etag is { } match
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, ToEntity(IdPrefix + record.RefundId, record), match)
                : new TableTransactionAction(TableTransactionActionType.Add, ToEntity(IdPrefix + record.RefundId, record)),
        };
        if (record.PlacedOrderId is null)
        {
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, ToEntity(ListingKey(record), record)));
        }
        else if (previous is { PlacedOrderId: null })
        {
            actions.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(Partition, ListingKey(previous)), ETag.All));
        }

        try
        {
            await table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (TableStatus.IsConcurrencyLoss(e))
        {
            return false;
        }
    }

    private static string ListingKey(UnplacedRefund record) => Inverted(record.FirstSeenAt, plusOne: false) + "|" + record.RefundId;

    private static string Inverted(DateTimeOffset at, bool plusOne)
        => (DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks + (plusOne ? 1 : 0)).ToString("D19", CultureInfo.InvariantCulture);

    private static string Truncate(string raw)
        => raw.Length <= MaxRawJsonChars ? raw : string.Concat(raw.AsSpan(0, MaxRawJsonChars), $"…[truncated: {raw.Length - MaxRawJsonChars} more characters]");

    private static TableEntity ToEntity(string rowKey, UnplacedRefund r) => new(Partition, rowKey)
    {
        ["RefundId"] = r.RefundId,
        ["ChargeId"] = r.ChargeId,
        ["Amount"] = r.Amount,
        ["Status"] = r.Status.ToString(),
        ["FirstSeenAt"] = r.FirstSeenAt,
        ["RawJson"] = r.RawJson,
        ["LookupAttempts"] = r.LookupAttempts,
        ["LastLookupAt"] = r.LastLookupAt,
        ["LookupOutcome"] = r.LookupOutcome,
        ["PlacedOrderId"] = r.PlacedOrderId,
    };

    private static UnplacedRefund ToRecord(TableEntity e) => new()
    {
        RefundId = e.GetString("RefundId")!,
        ChargeId = e.GetString("ChargeId"),
        Amount = e.GetInt64("Amount") ?? 0,
        Status = Enum.TryParse<PingppRefundStatus>(e.GetString("Status"), out var status) ? status : PingppRefundStatus.Pending,
        FirstSeenAt = e.GetDateTimeOffset("FirstSeenAt") ?? default,
        RawJson = e.GetString("RawJson") ?? "",
        LookupAttempts = e.GetInt32("LookupAttempts") ?? 0,
        LastLookupAt = e.GetDateTimeOffset("LastLookupAt"),
        LookupOutcome = e.GetString("LookupOutcome"),
        PlacedOrderId = e.GetString("PlacedOrderId"),
    };
}

/// <summary>A refund reported by Ping++ whose order we could not name (<see cref="UnplacedRefundStore"/>).</summary>
public sealed record UnplacedRefund
{
    /// <summary>Ping++'s refund id (<c>re_…</c>).</summary>
    public required string RefundId { get; init; }

    /// <summary>The charge it refunds, as reported (the key of the charge lookup); null when Ping++ named none.</summary>
    public string? ChargeId { get; init; }

    /// <summary>Amount in fen, as reported.</summary>
    public long Amount { get; init; }

    /// <summary>The latest status reported.</summary>
    public PingppRefundStatus Status { get; init; }

    /// <summary>When this app first kept it.</summary>
    public DateTimeOffset FirstSeenAt { get; init; }

    /// <summary>The refund object as it was first reported (a webhook's <c>data.object</c>, byte for byte as text).</summary>
    public required string RawJson { get; init; }

    /// <summary>Charge lookups tried so far.</summary>
    public int LookupAttempts { get; init; }

    public DateTimeOffset? LastLookupAt { get; init; }

    /// <summary>What the last lookup found, in words (e.g. "charge ch_… not found at Ping++ (404)"); null before the first.</summary>
    public string? LookupOutcome { get; init; }

    /// <summary>The order a lookup placed it in (then it is no longer listed); null while unplaced.</summary>
    public string? PlacedOrderId { get; init; }
}

/// <summary>One page of <see cref="UnplacedRefundStore.ListAsync"/>; <see cref="Continuation"/> is null on the last page.</summary>
public sealed record UnplacedRefundPage(IReadOnlyList<UnplacedRefund> Items, string? Continuation);
