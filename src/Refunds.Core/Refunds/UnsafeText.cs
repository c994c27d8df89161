namespace Refunds.Core.Refunds;

/// <summary>
/// Characters refused in free text that reaches Ping++, the ledger and an operator's screen (description, metadata,
/// royalty user ids): control characters (C0, DEL, C1, including line breaks and tabs), the bidirectional embedding,
/// override and isolate controls that can make a text read differently from what it holds ("Trojan Source"), and
/// unpaired surrogates, which have no UTF-8 form.
/// </summary>
public static class UnsafeText
{
    /// <summary>Null when <paramref name="text"/> is safe, else a reason naming the first bad character and where it is.</summary>
    public static string? Describe(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            string? kind = c switch
            {
                < '\u0020' or '\u007F' or (>= '\u0080' and <= '\u009F') => "a control character",
                (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') => "a bidirectional control character",
                _ when char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) => null,
                _ when char.IsSurrogate(c) => "an unpaired surrogate",
                _ => null,
            };
            if (kind is not null)
            {
                return $"contains {kind} (U+{(int)c:X4}) at position {i}";
            }

            if (char.IsHighSurrogate(c))
            {
                i++;
            }
        }

        return null;
    }
}
