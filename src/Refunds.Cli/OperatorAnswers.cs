using System.Globalization;
using System.Text.Json;

namespace Refunds.Cli;

/// <summary>
/// How the operator commands read the app's answers: a non-2xx answer becomes one line and its exit code (400 → 2,
/// 404 → 3, 409 → 4, 401/403 → 5, else 1), a 2xx answer is parsed as JSON, and fields are read by name, a missing
/// field or a JSON null alike (the API omits nulls in places), so a richer answer does not break the CLI.
/// </summary>
internal static class OperatorAnswers
{
    /// <summary>The parsed body of a 2xx answer; otherwise throws the failure with its exit code.</summary>
    public static JsonElement Require(ApiAnswer answer, string what)
    {
        Fail(answer, what);
        try
        {
            using var doc = JsonDocument.Parse(answer.Body);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new CliException($"the function app answered {(int)answer.Status} to {what} with a body that is not JSON");
        }
    }

    /// <summary>Throws the failure of a non-2xx answer, with its exit code; returns for a 2xx.</summary>
    public static void Fail(ApiAnswer answer, string what)
    {
        var code = (int)answer.Status;
        if (code is >= 200 and < 300)
        {
            return;
        }

        var reasons = string.Join("; ", RefundsApiClient.Reasons(answer.Body));
        var detail = reasons.Length > 0 ? ": " + reasons : "";
        throw code switch
        {
            400 => new CliException($"{what}: the app refused the input (400){detail}", ExitCodes.Invalid),
            404 => new CliException($"{what}: not found (404){detail}", ExitCodes.NotFound),
            409 => new CliException($"{what}: not allowed now (409){detail}", ExitCodes.NotAllowed),
            401 or 403 => new CliException(
                $"the function app refused the call ({code}); {what} is an operator action: pass the app's master key with --key, REFUNDS_MASTER_KEY or MASTER_KEY (source .local/refunds.env sets MASTER_KEY)",
                ExitCodes.KeyRefused),
            _ => new CliException($"{what}: the function app answered {code}{detail}"),
        };
    }

    public static string? Str(this JsonElement e, string name)
        => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
                JsonValueKind.Array => string.Join(",", v.EnumerateArray().Select(i => i.ValueKind == JsonValueKind.String ? i.GetString() : i.GetRawText())),
                _ => null,
            }
            : null;

    public static IEnumerable<JsonElement> Items(this JsonElement e, string name = "items")
        => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray() : [];

    /// <summary>An ISO time shortened for a table: <c>2026-12-06 08:00:01</c> in UTC; other text as it is.</summary>
    public static string? Time(this JsonElement e, string name)
        => e.Str(name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)
            ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : e.Str(name);

    /// <summary>
    /// A page of a list route: with <paramref name="json"/> the answer as it is; else a table of its items (one row
    /// each, by <paramref name="row"/>), or the line <paramref name="none"/> when there are none, and the continuation.
    /// </summary>
    public static int WritePage(CliConsole console, ApiAnswer answer, string what, bool json, Spectre.Console.Table table, Action<Spectre.Console.Table, JsonElement> row, string none, string command)
    {
        var page = Require(answer, what);
        if (json)
        {
            console.Out.WriteLine(answer.Body);
            return ExitCodes.Ok;
        }

        foreach (var item in page.Items())
        {
            row(table, item);
        }

        if (table.Rows.Count == 0)
        {
            console.Out.WriteLine(none);
        }
        else
        {
            console.Write(table);
        }

        WriteContinuation(console, page, command);
        return ExitCodes.Ok;
    }

    /// <summary>Prints the continuation of a page, if any, as the option to pass for the next page (stderr).</summary>
    private static void WriteContinuation(CliConsole console, JsonElement page, string command)
    {
        if (page.Str("continuation") is { Length: > 0 } next)
        {
            console.Err.WriteLine($"more: refunds {command} … --continuation {next}");
        }
    }
}
