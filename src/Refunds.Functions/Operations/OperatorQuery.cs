using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Refunds.Functions.Refunds;

namespace Refunds.Functions.Operations;

/// <summary>
/// The operator routes' query parameters and action bodies, read by the rules of the issue-23 contract: <c>page_size</c>
/// 1..200 (default 50), times ISO 8601 with an offset, bodies <c>{"reason":"…"}</c>. A bad value is a 400
/// <c>invalid_parameter</c> naming the parameter, never a 500.
/// </summary>
internal static partial class OperatorQuery
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    /// <summary>The 400 for one parameter.</summary>
    public static IActionResult Invalid(string parameter, string problem)
        => ApiResults.Error(StatusCodes.Status400BadRequest, "invalid_parameter", $"{parameter} {problem}");

    public static bool TryPageSize(HttpRequest request, out int pageSize, out IActionResult? error)
    {
        error = null;
        pageSize = DefaultPageSize;
        var raw = request.Query["page_size"].ToString();
        if (raw.Length == 0)
        {
            return true;
        }

        if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) && pageSize is >= 1 and <= MaxPageSize)
        {
            return true;
        }

        error = Invalid("page_size", $"must be a whole number from 1 to {MaxPageSize}, not '{raw}'");
        return false;
    }

    /// <summary>An optional time: ISO 8601 with a date, a time and an offset (<c>Z</c> or <c>+08:00</c>).</summary>
    public static bool TryTime(HttpRequest request, string name, out DateTimeOffset? value, out IActionResult? error)
    {
        error = null;
        value = null;
        var raw = request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return true;
        }

        if (IsoWithOffset().IsMatch(raw) && DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            value = parsed;
            return true;
        }

        error = Invalid(name, $"must be an ISO 8601 time with an offset (2026-12-06T08:00:00+08:00 or …Z), not '{raw}'");
        return false;
    }

    /// <summary>The <c>reason</c> of an action body (absent, empty or <c>{}</c> = none); a body that is not that JSON object is refused.</summary>
    public static async Task<(string? Reason, IActionResult? Error)> ReadReasonAsync(HttpRequest request, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(ct);
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, null);
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, Invalid("body", "must be a JSON object {\"reason\":\"…\"}"));
            }

            if (!doc.RootElement.TryGetProperty("reason", out var reason) || reason.ValueKind == JsonValueKind.Null)
            {
                return (null, null);
            }

            return reason.ValueKind == JsonValueKind.String ? (reason.GetString(), null) : (null, Invalid("reason", "must be a string"));
        }
        catch (JsonException)
        {
            return (null, Invalid("body", "is not JSON; send {\"reason\":\"…\"}"));
        }
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoWithOffset();
}
