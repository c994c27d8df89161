using Azure;
using Azure.Data.Tables;
using Refunds.Core.Configuration;
using Refunds.Core.Storage;

namespace Refunds.Core.Webhooks;

/// <summary>
/// Every verified Ping++ event, once per event id, with its raw bytes. PartitionKey is one of 64 hash buckets of the
/// event id (spreads load; a point read by id stays possible), RowKey is the event id; inserting twice gives 409.
/// Beside each event row, in the same partition, a time-index row (<c>WebhookEventStore.Index.cs</c>) is written in the
/// same entity-group transaction, so listing by time costs the webhook no extra request.
/// </summary>
/// <remarks>
/// Table Storage caps a binary property at 64 KiB and an entity at 1 MiB including keys and property names. The body is
/// therefore cut into 64 KiB properties <c>Body0</c>…, at most <see cref="ChunksPerEntity"/> (768 KiB) in the event
/// row; the rest goes into spill rows (RowKey <c>{eventId}~1</c>, …) written before the event row, so the event row
/// is the commit marker and a reader never sees a partial body. This supports bodies up to
/// <see cref="MaxBodyBytes"/> (1 MiB) and more; the HTTP layer refuses anything above
/// <see cref="WebhookOptions.MaxBodyBytes"/>.
/// </remarks>
public sealed partial class WebhookEventStore
{
    public const int MaxBodyBytes = WebhookOptions.MaxBodyBytesLimit;
    public const int PartitionCount = 64;
    internal const int ChunkBytes = 64 * 1024;
    internal const int ChunksPerEntity = 12;
    private const int BytesPerEntity = ChunkBytes * ChunksPerEntity;

    /// <summary><see cref="StoredWebhookEvent.AppliedAs"/> values.</summary>
    public const string AppliedAsRefund = "refund", AppliedAsOrder = "order", AppliedAsPayment = "payment", AppliedAsNothing = "none";

    private readonly TableHandle _table;

    public WebhookEventStore(TableServiceClient service, string tableName = StorageNames.WebhookEventsTable)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = new TableHandle(service, tableName);
    }

    public string TableName => _table.Name;

    /// <summary>The partition of an event id: <c>"00"</c>…<c>"63"</c>.</summary>
    public static string PartitionKeyFor(string eventId) => TableKeys.Bucket(eventId, PartitionCount).ToString("D2", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Stores the event unless one with the same id exists; on a duplicate returns the stored copy.</summary>
    public async Task<WebhookEventAddResult> AddAsync(StoredWebhookEvent stored, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stored);
        TableKeys.RequireValidId(stored.EventId, nameof(stored));
        if (stored.Body.Length > MaxBodyBytes)
        {
            throw new ArgumentException($"Body of {stored.Body.Length} bytes exceeds {MaxBodyBytes}.", nameof(stored));
        }

        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var partition = PartitionKeyFor(stored.EventId);
        var spillRows = SpillRowCount(stored.Body.Length);

        // Spill rows first: duplicates write identical bytes, so racing upserts are harmless.
        for (var row = 1; row <= spillRows; row++)
        {
            var spill = new TableEntity(partition, SpillRowKey(stored.EventId, row));
            WriteChunks(spill, stored.Body.Slice(row * BytesPerEntity, Math.Min(BytesPerEntity, stored.Body.Length - row * BytesPerEntity)));
            await table.UpsertEntityAsync(spill, TableUpdateMode.Replace, ct).ConfigureAwait(false);
        }

        // The event row and its time-index row in one transaction: one request, and never one without the other.
        var entity = ToEntity(stored, partition, spillRows);
        try
        {
            await table.SubmitTransactionAsync(
                [new TableTransactionAction(TableTransactionActionType.Add, entity), new TableTransactionAction(TableTransactionActionType.Add, ToIndexEntity(stored, partition))],
                ct).ConfigureAwait(false);
            return new WebhookEventAddResult(true, stored);
        }
        catch (RequestFailedException e) when (TableStatus.IsConflict(e))
        {
            var existing = await GetAsync(stored.EventId, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Event {stored.EventId} reported as duplicate but cannot be read back.", e);
            return new WebhookEventAddResult(false, existing);
        }
    }

    public async Task<StoredWebhookEvent?> GetAsync(string eventId, CancellationToken ct)
    {
        TableKeys.RequireValidId(eventId, nameof(eventId));
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var partition = PartitionKeyFor(eventId);
        var response = await table.GetEntityIfExistsAsync<TableEntity>(partition, eventId, cancellationToken: ct).ConfigureAwait(false);
        if (!response.HasValue)
        {
            return null;
        }

        var entity = response.Value!;
        var length = entity.GetInt32("BodyLength") ?? 0;
        var body = new byte[length];
        var offset = ReadChunks(entity, body, 0);
        var spillRows = entity.GetInt32("SpillRows") ?? 0;
        for (var row = 1; row <= spillRows; row++)
        {
            var spill = await table.GetEntityAsync<TableEntity>(partition, SpillRowKey(eventId, row), cancellationToken: ct).ConfigureAwait(false);
            offset = ReadChunks(spill.Value, body, offset);
        }

        if (offset != length)
        {
            throw new InvalidDataException($"Stored body of event {eventId} has {offset} bytes, expected {length}.");
        }

        return new StoredWebhookEvent
        {
            EventId = eventId,
            Type = entity.GetString("Type") ?? "",
            Livemode = entity.GetBoolean("Livemode") ?? false,
            Created = entity.GetInt64("Created") ?? 0,
            Body = body,
            SignatureHeader = entity.GetString("Signature"),
            ReceivedAt = entity.GetDateTimeOffset("ReceivedAt") ?? default,
            RefundId = entity.GetString("RefundId"),
            ChargeId = entity.GetString("ChargeId"),
            OrderId = entity.GetString("OrderId"),
            RequestId = entity.GetString("RequestId"),
            Applied = entity.GetBoolean("Applied") ?? false,
            AppliedAt = entity.GetDateTimeOffset("AppliedAt"),
            AppliedAs = entity.GetString("AppliedAs"),
            RefusedReason = entity.GetString("Refused"),
        };
    }

    /// <summary>
    /// Marks the event applied, and as what, on the event row and its time-index row (one transaction). Idempotent:
    /// applying is, so a lost race here needs no ETag. The index row is upserted whole, so an event stored before the
    /// index existed gets its index row here.
    /// </summary>
    /// <param name="receivedAt">When the event was first stored (<see cref="StoredWebhookEvent.ReceivedAt"/>): the index row's key.</param>
    public async Task MarkAppliedAsync(PingppEvent pingppEvent, DateTimeOffset receivedAt, DateTimeOffset appliedAt, string appliedAs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(pingppEvent);
        var table = await _table.GetAsync(ct).ConfigureAwait(false);
        var partition = PartitionKeyFor(pingppEvent.Id);
        var entity = new TableEntity(partition, pingppEvent.Id)
        {
            ["Applied"] = true,
            ["AppliedAt"] = appliedAt,
            ["AppliedAs"] = appliedAs,
        };
        var index = ToIndexEntity(new StoredWebhookEvent
        {
            EventId = pingppEvent.Id,
            Type = pingppEvent.Type,
            Created = pingppEvent.Created,
            Body = ReadOnlyMemory<byte>.Empty,
            ReceivedAt = receivedAt,
            RefundId = pingppEvent.RefundId,
            OrderId = pingppEvent.OrderId,
            Applied = true,
            AppliedAt = appliedAt,
            AppliedAs = appliedAs,
        }, partition);
        await table.SubmitTransactionAsync(
            [new TableTransactionAction(TableTransactionActionType.UpdateMerge, entity, ETag.All), new TableTransactionAction(TableTransactionActionType.UpsertReplace, index)],
            ct).ConfigureAwait(false);
    }

    private static TableEntity ToEntity(StoredWebhookEvent stored, string partition, int spillRows)
    {
        var entity = new TableEntity(partition, stored.EventId)
        {
            ["Type"] = stored.Type,
            ["Livemode"] = stored.Livemode,
            ["Created"] = stored.Created,
            ["BodyLength"] = stored.Body.Length,
            ["SpillRows"] = spillRows,
            ["Signature"] = stored.SignatureHeader,
            ["ReceivedAt"] = stored.ReceivedAt,
            ["RefundId"] = stored.RefundId,
            ["ChargeId"] = stored.ChargeId,
            ["OrderId"] = stored.OrderId,
            ["RequestId"] = stored.RequestId,
            ["Applied"] = stored.Applied,
            ["AppliedAt"] = stored.AppliedAt,
            ["AppliedAs"] = stored.AppliedAs,
            ["Refused"] = stored.RefusedReason,
        };
        WriteChunks(entity, stored.Body[..Math.Min(BytesPerEntity, stored.Body.Length)]);
        return entity;
    }

    private static int SpillRowCount(int length) => length <= BytesPerEntity ? 0 : (length - 1) / BytesPerEntity;

    private static string SpillRowKey(string eventId, int row) => $"{eventId}~{row}";

    private static void WriteChunks(TableEntity entity, ReadOnlyMemory<byte> bytes)
    {
        for (int i = 0, offset = 0; offset < bytes.Length; i++, offset += ChunkBytes)
        {
            entity[$"Body{i}"] = bytes.Slice(offset, Math.Min(ChunkBytes, bytes.Length - offset)).ToArray();
        }
    }

    private static int ReadChunks(TableEntity entity, byte[] target, int offset)
    {
        for (var i = 0; i < ChunksPerEntity && entity.ContainsKey($"Body{i}"); i++)
        {
            var chunk = entity.GetBinary($"Body{i}");
            chunk.CopyTo(target, offset);
            offset += chunk.Length;
        }

        return offset;
    }
}
