using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Refunds.Core.Pingpp;

/// <summary>
/// Reads Ping++ <c>metadata</c> leniently: Ping++ keeps whatever JSON the merchant sent, so numbers and booleans come
/// back as their JSON text, nested values as raw JSON, nulls are dropped, and PHP's empty-hash <c>[]</c> means empty.
/// </summary>
public sealed class PingppMetadataConverter : JsonConverter<IReadOnlyDictionary<string, string>>
{
    public override IReadOnlyDictionary<string, string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.StartArray:
                reader.Skip();
                return new Dictionary<string, string>();
            case JsonTokenType.StartObject:
                break;
            default:
                throw new JsonException($"metadata must be an object, got {reader.TokenType}.");
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var key = reader.GetString() ?? throw new JsonException("metadata key missing.");
            reader.Read();
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    result[key] = reader.GetString()!;
                    break;
                case JsonTokenType.Null:
                    break;
                case JsonTokenType.Number:
                case JsonTokenType.True:
                case JsonTokenType.False:
                    result[key] = System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan);
                    break;
                default:
                    using (var doc = JsonDocument.ParseValue(ref reader))
                    {
                        result[key] = doc.RootElement.GetRawText();
                    }

                    break;
            }
        }

        return result;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (key, item) in value)
        {
            writer.WriteString(key, item);
        }

        writer.WriteEndObject();
    }
}

/// <summary>
/// Reads <c>app</c> on order and charge objects: a string id, or the app object when Ping++ expands it (its <c>id</c>).
/// Written as the id.
/// </summary>
public sealed class PingppAppIdConverter : JsonConverter<string?>
{
    public override bool HandleNull => true;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.StartObject:
                string? id = null;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var isId = reader.ValueTextEquals("id"u8);
                    reader.Read();
                    if (isId && reader.TokenType == JsonTokenType.String)
                    {
                        id = reader.GetString();
                    }
                    else
                    {
                        reader.Skip();
                    }
                }

                return id;
            default:
                throw new JsonException($"app must be a string or an object, got {reader.TokenType}.");
        }
    }

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }
}

/// <summary>Ping++ sometimes sends <c>null</c> for amounts and timestamps that are not set yet; read them as 0.</summary>
internal sealed class NullAsZeroInt64Converter : JsonConverter<long>
{
    public override bool HandleNull => true;

    public override long Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => reader.TokenType == JsonTokenType.Null ? 0 : reader.GetInt64();

    public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}

/// <summary>Reads a <c>null</c> flag as false.</summary>
internal sealed class NullAsFalseBooleanConverter : JsonConverter<bool>
{
    public override bool HandleNull => true;

    public override bool Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => reader.TokenType != JsonTokenType.Null && reader.GetBoolean();

    public override void Write(Utf8JsonWriter writer, bool value, JsonSerializerOptions options) => writer.WriteBooleanValue(value);
}
