using System.Text.Json;
using System.Text.Json.Serialization;

namespace Refunds.Core.Pingpp;

/// <summary>
/// Reads Ping++ <c>metadata</c> as string → string. Ping++ echoes whatever was sent, so a number, bool or nested value
/// may come back; it is kept as its JSON text instead of failing the whole object. <c>null</c> values are dropped.
/// </summary>
public sealed class PingppMetadataJsonConverter : JsonConverter<IReadOnlyDictionary<string, string>>
{
    public override IReadOnlyDictionary<string, string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType == JsonTokenType.StartArray)
        {
            // PHP SDKs serialise an empty map as []; treat any array as "no metadata".
            reader.Skip();
            return new Dictionary<string, string>();
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("metadata must be an object.");
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString()!;
            reader.Read();
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    result[name] = reader.GetString()!;
                    break;
                case JsonTokenType.Null:
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    using (var element = JsonDocument.ParseValue(ref reader))
                    {
                        result[name] = element.RootElement.GetRawText();
                    }

                    break;
                default:
                    result[name] = reader.HasValueSequence ? System.Text.EncodingExtensions.GetString(System.Text.Encoding.UTF8, reader.ValueSequence) : System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
                    break;
            }
        }

        return result;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (name, text) in value)
        {
            writer.WriteString(name, text);
        }

        writer.WriteEndObject();
    }
}
