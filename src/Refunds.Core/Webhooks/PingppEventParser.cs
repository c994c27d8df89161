using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using Refunds.Core.Pingpp;
using Refunds.Core.Storage;

namespace Refunds.Core.Webhooks;

/// <summary>
/// Parses a Ping++ event from raw UTF-8 bytes. A failure carries a short reason fit for a 400 body: it never echoes
/// the input.
/// </summary>
/// <remarks>
/// One <see cref="Utf8JsonReader"/> pass validates the whole body and notes the envelope fields. When
/// <c>data.object</c> names its kind (refund, order, charge) in its first properties, the serializer reads it as its
/// typed object inside that pass; otherwise (or when that reading fails or a later duplicate names another kind) the
/// pass scans it and only its bytes are read again, by the serializer, after the envelope checks. It keeps the
/// semantics the <see cref="JsonDocument"/>-based parser had (tests compare the two): a duplicated property counts by
/// its last occurrence, envelope strings are read lazily in the order the checks need them, and the checks run in
/// the same order, so every input yields the same event, reason or exception, with two deliberate exceptions for
/// typed objects: their id is their <c>Id</c> as the serializer reads it (names match in any case), and an object that
/// repeats its <c>object</c> name in another case (<c>"object":"refund",…,"object":"charge",…,"OBJECT":"refund"</c>)
/// is of the kind the serializer reads last.
/// </remarks>
public static partial class PingppEventParser
{
    // JsonDocumentOptions.MaxDepth = 64 before; the reader's default is the same, spelled out so it stays so.
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    public static bool TryParse(ReadOnlyMemory<byte> utf8, [NotNullWhen(true)] out PingppEvent? pingppEvent, [NotNullWhen(false)] out string? reason)
    {
        pingppEvent = null;
        var span = utf8.Span;
        if (span.IsEmpty)
        {
            reason = "empty body";
            return false;
        }

        if (!Utf8.IsValid(span))
        {
            reason = "body is not valid UTF-8";
            return false;
        }

        var envelope = default(Envelope);
        try
        {
            Scan(span, ref envelope);
        }
        catch (JsonException)
        {
            reason = "body is not JSON";
            return false;
        }

        try
        {
            return TryRead(utf8, ref envelope, out pingppEvent, out reason);
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate ("\ud800") in a string we read: valid JSON, but not text. A 400, never a 500.
            pingppEvent = null;
            reason = UnreadableStringReason;
            return false;
        }
    }

    internal const string UnreadableStringReason = "body has a string that is not valid Unicode";

    private static bool TryRead(ReadOnlyMemory<byte> utf8, ref Envelope e, [NotNullWhen(true)] out PingppEvent? pingppEvent, [NotNullWhen(false)] out string? reason)
    {
        pingppEvent = null;
        if (!e.IsObject)
        {
            reason = "body is not a JSON object";
            return false;
        }

        if (!e.Object.Is(utf8.Span, "event"u8, "event"))
        {
            reason = "object is not \"event\"";
            return false;
        }

        var id = e.Id.ToString(utf8.Span);
        if (id is null)
        {
            reason = "event has no id";
            return false;
        }

        if (!TableKeys.IsValidId(id))
        {
            reason = "event id is malformed";
            return false;
        }

        var type = TypeOf(utf8.Span, e.Type);
        if (string.IsNullOrEmpty(type))
        {
            reason = "event has no type";
            return false;
        }

        if (e.Livemode is not (JsonTokenType.True or JsonTokenType.False))
        {
            // Unsigned test events are accepted only when livemode is false, so a missing flag must not read as false.
            reason = "event has no livemode";
            return false;
        }

        if (!e.HasDataObject)
        {
            reason = "event has no data.object";
            return false;
        }

        var objectType = e.Typed is not null ? e.TypedKind : ObjectTypeOf(utf8.Span, e.ObjectType);
        if (string.IsNullOrEmpty(objectType))
        {
            reason = "data.object has no object type";
            return false;
        }

        var typed = e.Typed;
        if (typed is null && objectType is Refund or Order or Charge)
        {
            var dataObject = utf8.Span[e.DataObjectStart..e.DataObjectEnd];
            try
            {
                typed = Deserialize(dataObject, objectType);
            }
            catch (JsonException)
            {
                reason = $"data.object is not a valid {objectType}";
                return false;
            }
        }

        var refund = typed as PingppRefund;
        var order = typed as PingppOrder;
        var charge = typed as PingppCharge;

        pingppEvent = new PingppEvent
        {
            Id = id,
            Type = type,
            Livemode = e.Livemode == JsonTokenType.True,
            Created = e.Created ?? 0,
            Request = e.Request.ToString(utf8.Span),
            PendingWebhooks = (int)(e.PendingWebhooks ?? 0),
            ObjectType = objectType,
            ObjectId = typed is null ? e.ObjectId.ToString(utf8.Span) : refund?.Id ?? order?.Id ?? charge?.Id,
            Refund = refund,
            RefundJson = refund is null ? null : System.Text.Encoding.UTF8.GetString(utf8.Span[e.DataObjectStart..e.DataObjectEnd]),
            Order = order,
            Charge = charge,
        };
        reason = null;
        return true;
    }

    /// <summary>Reads the whole body (a syntax error anywhere throws), keeping the last occurrence of each field.</summary>
    private static void Scan(ReadOnlySpan<byte> utf8, ref Envelope e)
    {
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
        }
        else
        {
            e.IsObject = true;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (NameIs(ref reader, "object"u8))
                {
                    e.Object = NextString(ref reader);
                }
                else if (NameIs(ref reader, "id"u8))
                {
                    e.Id = NextString(ref reader);
                }
                else if (NameIs(ref reader, "type"u8))
                {
                    e.Type = NextString(ref reader);
                }
                else if (NameIs(ref reader, "request"u8))
                {
                    e.Request = NextString(ref reader);
                }
                else if (NameIs(ref reader, "livemode"u8))
                {
                    reader.Read();
                    e.Livemode = reader.TokenType;
                    reader.Skip();
                }
                else if (NameIs(ref reader, "created"u8))
                {
                    e.Created = NextInt64(ref reader);
                }
                else if (NameIs(ref reader, "pending_webhooks"u8))
                {
                    e.PendingWebhooks = NextInt64(ref reader);
                }
                else if (NameIs(ref reader, "data"u8))
                {
                    ScanData(ref reader, ref e);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }

        // Without AllowMultipleValues the reader throws on anything but whitespace after the root value.
        if (reader.Read())
        {
            throw new JsonException("content after the JSON value");
        }
    }

    private static void ScanData(ref Utf8JsonReader reader, ref Envelope e)
    {
        e.ForgetDataObject();
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!NameIs(ref reader, "object"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            e.ForgetDataObject();
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            e.HasDataObject = true;
            e.DataObjectStart = checked((int)reader.TokenStartIndex);
            if (TryReadTyped(ref reader, ref e))
            {
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (NameIs(ref reader, "object"u8))
                {
                    e.ObjectType = NextString(ref reader);
                }
                else if (NameIs(ref reader, "id"u8))
                {
                    e.ObjectId = NextString(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            e.DataObjectEnd = checked((int)reader.BytesConsumed);
        }
    }

    private const string Refund = "refund", Order = "order", Charge = "charge";

    // How far into data.object the kind is looked for: Ping++ puts "object" second, after "id".
    private const int KindPeekProperties = 3;

    /// <summary>
    /// With the reader on data.object's StartObject: when its first properties name a kind the serializer reads, reads
    /// the object as that type, leaving the reader on its EndObject. Any doubt (another kind, a failed read of any kind,
    /// a later duplicate that names another kind) puts the reader back and answers false: the scan then does what it
    /// always did.
    /// </summary>
    private static bool TryReadTyped(ref Utf8JsonReader reader, ref Envelope e)
    {
        var start = reader;
        try
        {
            var kind = PeekKind(reader);
            if (kind is null)
            {
                return false;
            }

            // The type's converter reads the object where it is. JsonSerializer.Deserialize(ref reader) would first skip
            // the object to find its end, reading its bytes twice.
            var typed = kind switch
            {
                Refund => RefundConverter.Read(ref reader, typeof(PingppRefund), PingppJson.Options),
                Order => OrderConverter.Read(ref reader, typeof(PingppOrder), PingppJson.Options),
                _ => (object?)ChargeConverter.Read(ref reader, typeof(PingppCharge), PingppJson.Options),
            };
            var lastKind = typed switch
            {
                PingppRefund r => r.Object,
                PingppOrder o => o.Object,
                PingppCharge c => c.Object,
                _ => null,
            };
            if (lastKind != kind)
            {
                reader = start;
                return false;
            }

            e.Typed = typed;
            e.TypedKind = kind;
            e.DataObjectEnd = checked((int)reader.BytesConsumed);
            return true;
        }
        catch (Exception)
        {
            // Called outside JsonSerializer, a converter's errors come unwrapped (FormatException for a number out of
            // range, InvalidOperationException for a token of the wrong kind), not as JsonException. Whatever it is,
            // the old path reads the object again and decides (the serializer wraps them there).
            reader = start;
            return false;
        }
    }

    private static readonly JsonConverter<PingppRefund> RefundConverter = (JsonConverter<PingppRefund>)PingppJson.Options.GetConverter(typeof(PingppRefund));
    private static readonly JsonConverter<PingppOrder> OrderConverter = (JsonConverter<PingppOrder>)PingppJson.Options.GetConverter(typeof(PingppOrder));
    private static readonly JsonConverter<PingppCharge> ChargeConverter = (JsonConverter<PingppCharge>)PingppJson.Options.GetConverter(typeof(PingppCharge));

    private static string? PeekKind(Utf8JsonReader reader)
    {
        for (var i = 0; i < KindPeekProperties && reader.Read() && reader.TokenType == JsonTokenType.PropertyName; i++)
        {
            var isKind = NameIs(ref reader, "object"u8);
            reader.Read();
            if (isKind)
            {
                return reader.TokenType != JsonTokenType.String ? null
                    : reader.ValueTextEquals("refund"u8) ? Refund
                    : reader.ValueTextEquals("order"u8) ? Order
                    : reader.ValueTextEquals("charge"u8) ? Charge
                    : null;
            }

            reader.Skip();
        }

        return null;
    }

    private static object? Deserialize(ReadOnlySpan<byte> dataObject, string kind) => kind switch
    {
        Refund => JsonSerializer.Deserialize<PingppRefund>(dataObject, PingppJson.Options),
        Order => JsonSerializer.Deserialize<PingppOrder>(dataObject, PingppJson.Options),
        _ => JsonSerializer.Deserialize<PingppCharge>(dataObject, PingppJson.Options),
    };

    private ref struct Envelope
    {
        public bool IsObject, HasDataObject;
        public StringToken Object, Id, Type, Request, ObjectType, ObjectId;
        public JsonTokenType Livemode;
        public long? Created, PendingWebhooks;
        public int DataObjectStart, DataObjectEnd;

        // data.object read as its type inside the scan (TryReadTyped), with its kind.
        public object? Typed;
        public string? TypedKind;

        /// <summary>A later <c>data</c> or <c>data.object</c> replaces everything an earlier one left (the last occurrence counts).</summary>
        public void ForgetDataObject()
        {
            HasDataObject = false;
            ObjectType = ObjectId = default;
            Typed = null;
            TypedKind = null;
        }
    }
}
