using System.Text.Json;

namespace Refunds.Core.Operations;

/// <summary>
/// The body of an operator action: <c>{"reason":"…"}</c> (or <c>{"note":"…"}</c>), at most <see cref="MaxChars"/>
/// characters, no control characters. An empty body is no reason.
/// </summary>
public static class OperatorReason
{
    public const int MaxChars = 1000;

    /// <summary>The reason (null when none was given), or the problem with the body, naming the parameter.</summary>
    public static (string? Reason, string? Problem) Parse(ReadOnlySpan<byte> body, string field = "reason")
    {
        if (body.Trim(" \t\r\n"u8).IsEmpty)
        {
            return (null, null);
        }

        string? reason;
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, $"The body must be a JSON object with '{field}'.");
            }

            if (!document.RootElement.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return (null, null);
            }

            if (value.ValueKind != JsonValueKind.String)
            {
                return (null, $"'{field}' must be a string.");
            }

            reason = value.GetString();
        }
        catch (JsonException)
        {
            return (null, $"The body is not valid JSON; expected {{\"{field}\":\"…\"}}.");
        }

        return Check(reason, field);
    }

    /// <summary>Checks a reason given as text (e.g. a query parameter).</summary>
    public static (string? Reason, string? Problem) Check(string? reason, string field = "reason")
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            return (null, null);
        }

        if (reason.Length > MaxChars)
        {
            return (null, $"'{field}' is longer than {MaxChars} characters.");
        }

        return reason.Any(char.IsControl) ? (null, $"'{field}' must not contain control characters.") : (reason.Trim(), null);
    }
}
