using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Refunds.Core.Refunds;

/// <summary>
/// Transport decoding of a refund message: text that starts with <c>{</c> (after JSON whitespace or a BOM) is JSON;
/// otherwise, where the source allows it, strict base64 (standard alphabet, padded) that decodes to UTF-8 JSON.
/// Anything else is reported with what it is (an array, a string, base64 of something else, …).
/// </summary>
internal static class RefundMessageDecoder
{
    /// <summary>The deepest JSON accepted, in the message and in the document read from it.</summary>
    public const int MaxDepth = 16;

    /// <summary>A message's JSON object text, or nothing (the reason is reported).</summary>
    public readonly record struct Decoded(byte[]? Json, string Origin, bool Base64);

    public static Decoded Decode(ReadOnlySpan<byte> utf8, bool allowsBase64, RefundRejectionCollector rejections)
    {
        var text = TrimJsonWhitespace(utf8);
        if (text.IsEmpty)
        {
            rejections.Report(RefundRequestFields.Message, "is empty");
        }
        else if (text[0] == (byte)'{')
        {
            return new(text.ToArray(), "", false);
        }
        else if (ParsesAsJson(text, out var kind))
        {
            rejections.Report(RefundRequestFields.Message, $"must be a JSON object, not {kind}");
        }
        else if (allowsBase64 && TryDecodeStrictBase64(text, out var decoded))
        {
            var inner = TrimJsonWhitespace(decoded);
            if (!Utf8.IsValid(decoded))
            {
                rejections.Report(RefundRequestFields.Message, "is base64 but does not decode to UTF-8 text");
            }
            else if (!inner.IsEmpty && inner[0] == (byte)'{')
            {
                return new(inner.ToArray(), " (base64-decoded)", true);
            }
            else if (ParsesAsJson(inner, out var innerKind))
            {
                rejections.Report(RefundRequestFields.Message, $"is base64 of JSON that is not an object but {innerKind}");
            }
            else
            {
                rejections.Report(RefundRequestFields.Message, "is base64 but does not decode to JSON");
            }

            return new(null, "", true);
        }
        else
        {
            rejections.Report(RefundRequestFields.Message, allowsBase64 ? "is neither JSON nor base64-encoded JSON" : "is not JSON");
        }

        return new(null, "", false);
    }

    private static ReadOnlySpan<byte> TrimJsonWhitespace(ReadOnlySpan<byte> text)
    {
        if (text.StartsWith("\uFEFF"u8))
        {
            text = text[3..];
        }

        return text.Trim(" \t\r\n"u8);
    }

    private static bool ParsesAsJson(ReadOnlySpan<byte> text, out string kind)
    {
        var reader = new Utf8JsonReader(text, new JsonReaderOptions { MaxDepth = MaxDepth });
        try
        {
            if (!reader.Read())
            {
                kind = "";
                return false;
            }

            kind = reader.TokenType switch
            {
                JsonTokenType.StartArray => "an array",
                JsonTokenType.String => "a string",
                JsonTokenType.Number => "a number",
                JsonTokenType.True or JsonTokenType.False => "a boolean",
                JsonTokenType.Null => "null",
                _ => reader.TokenType.ToString(),
            };
            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            kind = "";
            return false;
        }
    }

    /// <summary>Standard alphabet, padded to a multiple of 4, no whitespace inside: loose base64 would take stray text for data.</summary>
    private static bool TryDecodeStrictBase64(ReadOnlySpan<byte> text, out byte[] decoded)
    {
        decoded = [];
        if (text.Length % 4 != 0)
        {
            return false;
        }

        var padding = text.EndsWith("=="u8) ? 2 : text.EndsWith("="u8) ? 1 : 0;
        foreach (var b in text[..^padding])
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'+' or (byte)'/'))
            {
                return false;
            }
        }

        try
        {
            decoded = Convert.FromBase64String(Encoding.ASCII.GetString(text));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
