using System.Text.Json;
using System.Text.Json.Serialization;

namespace Refunds.Core.Pingpp;

/// <summary>JSON conventions of the Ping++ API: snake_case names, nulls omitted on write, lenient on read.</summary>
public static class PingppJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.Strict,
            // Ping++ sends raw UTF-8 Chinese; write it the same way instead of \uXXXX escapes.
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.Converters.Add(new NullAsZeroInt64Converter());
        options.Converters.Add(new NullAsFalseBooleanConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
