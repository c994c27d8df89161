using System.Text.Json;

namespace Refunds.Core.Webhooks;

/// <summary>The scan's token helpers: property names, strings noted by position and read lazily, numbers.</summary>
public static partial class PingppEventParser
{
    private static bool NameIs(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
        => reader.ValueIsEscaped ? EscapedNameIs(ref reader, name) : reader.ValueSpan.SequenceEqual(name);

    private static bool EscapedNameIs(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        try
        {
            return reader.ValueTextEquals(name);
        }
        catch (InvalidOperationException)
        {
            // A name with an escaped lone surrogate is none of the fields read here; JsonDocument skipped it too.
            return false;
        }
    }

    /// <summary>Moves to the property's value and notes where it is when it is a string.</summary>
    private static StringToken NextString(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            return new StringToken(checked((int)reader.TokenStartIndex), reader.ValueSpan.Length, reader.ValueIsEscaped, IsString: true);
        }

        reader.Skip();
        return default;
    }

    private static long? NextInt64(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var number))
        {
            return number;
        }

        reader.Skip();
        return null;
    }

    // The types the app acts on come back as literals: no string per event for them.
    private static string? TypeOf(ReadOnlySpan<byte> utf8, StringToken token)
        => token.Is(utf8, "refund.succeeded"u8, PingppEvent.Types.RefundSucceeded) ? PingppEvent.Types.RefundSucceeded
            : token.Is(utf8, "order.refunded"u8, PingppEvent.Types.OrderRefunded) ? PingppEvent.Types.OrderRefunded
            : token.Is(utf8, "order.succeeded"u8, PingppEvent.Types.OrderSucceeded) ? PingppEvent.Types.OrderSucceeded
            : token.Is(utf8, "charge.succeeded"u8, PingppEvent.Types.ChargeSucceeded) ? PingppEvent.Types.ChargeSucceeded
            : token.ToString(utf8);

    // The kinds the switch above tells apart come back as literals: no string per event for them.
    private static string? ObjectTypeOf(ReadOnlySpan<byte> utf8, StringToken token)
        => token.Is(utf8, "refund"u8, Refund) ? Refund
            : token.Is(utf8, "order"u8, Order) ? Order
            : token.Is(utf8, "charge"u8, Charge) ? Charge
            : token.ToString(utf8);

    /// <summary>
    /// Where a string value is (its opening quote, and the length between the quotes). Materialized only when a check
    /// needs it, as before, so an unreadable string (an escaped lone surrogate) fails at the same point it did.
    /// </summary>
    private readonly record struct StringToken(int Start, int Length, bool Escaped, bool IsString)
    {
        public string? ToString(ReadOnlySpan<byte> utf8)
        {
            if (!IsString)
            {
                return null;
            }

            if (!Escaped)
            {
                // The body is valid UTF-8, so this is what Utf8JsonReader.GetString returns for an unescaped value.
                return System.Text.Encoding.UTF8.GetString(utf8.Slice(Start + 1, Length));
            }

            var reader = new Utf8JsonReader(utf8.Slice(Start, Length + 2), ReaderOptions);
            reader.Read();
            return reader.GetString();
        }

        public bool Is(ReadOnlySpan<byte> utf8, ReadOnlySpan<byte> value, string text)
            => IsString && (Escaped ? ToString(utf8) == text : utf8.Slice(Start + 1, Length).SequenceEqual(value));
    }
}
