using System.Globalization;
using System.Text.Json;
using Refunds.Core.Pingpp;

namespace Refunds.Cli;

/// <summary>One line of <c>refunds show</c>: a refund request with the Ping++ refunds it produced.</summary>
internal sealed record RefundRow(
    string RequestId,
    string State,
    IReadOnlyList<string> RefundIds,
    long? Amount,
    string Status,
    string? FailureCode,
    string? FailureMessage,
    string? Updated)
{
    public bool IsTerminal => State is "succeeded" or "failed" or "rejected";
}

/// <summary>
/// Reads the app's refund views into rows. The ledger view (<c>GET /api/orders/{id}/refunds</c>: <c>order_id</c>,
/// <c>requests</c> [<c>request_id</c>, <c>status</c>, <c>refund_ids</c>, <c>refunds</c>, <c>failure_code</c>,
/// <c>failure_message</c>, <c>updated_at</c>, …] and the order's <c>refunds</c> [<c>id</c>, <c>request_id</c>,
/// <c>amount</c>, <c>status</c>, <c>external</c>, …]) is read by field name, as is one request on its own;
/// the live view (<c>GET /api/manage/pingpp/orders/{id}/refunds</c>) answers Ping++'s own list of refund objects,
/// whose request id is the metadata marker, and says when its page bound stopped it (<c>stopped_reason</c>).
/// Unknown fields are ignored so a richer API does not break the CLI.
/// </summary>
internal static class LedgerView
{
    /// <summary>Why the live view's list is incomplete (its page bound stopped it), or null.</summary>
    public static string? StoppedReason(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? Str(doc.RootElement, "stopped_reason") : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static IReadOnlyList<RefundRow> Read(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var requests = new List<JsonElement>();
        var found = new List<JsonElement>();
        Collect(root, requests, found);

        // A request's own refunds are repeated in the order's list: one row each.
        var refunds = found.DistinctBy(r => RefundIdOf(r) ?? r.GetRawText(), StringComparer.Ordinal).ToList();

        var rows = new List<RefundRow>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var request in requests)
        {
            var requestId = Str(request, "request_id") ?? "?";
            var refundIds = Strings(request, "refund_ids");
            var mine = refunds.Where(r => RefundRequestIdOf(r) == requestId || refundIds.Contains(RefundIdOf(r) ?? "")).ToList();
            foreach (var refund in mine)
            {
                used.Add(RefundIdOf(refund) ?? "");
            }

            var ids = refundIds.Count > 0 ? refundIds : mine.Select(RefundIdOf).OfType<string>().ToList();
            // What Ping++ refunds once there are refunds; before that, the amount asked for (null = all that is left).
            var amount = mine.Count > 0 ? mine.Sum(r => Long(r, "amount") ?? 0) : Long(request, "charge_amount");
            var statuses = mine.Select(r => (Str(r, "status") ?? "?").ToLowerInvariant()).Distinct().ToList();
            var failed = mine.FirstOrDefault(r => Str(r, "failure_code") is not null);
            rows.Add(new RefundRow(
                requestId,
                (Str(request, "state", "status") ?? "?").ToLowerInvariant(),
                ids,
                amount,
                statuses.Count > 0 ? string.Join("/", statuses) : "-",
                Str(request, "failure_code") ?? (failed.ValueKind == JsonValueKind.Object ? Str(failed, "failure_code") : null),
                FailureMessageOf(request) ?? (failed.ValueKind == JsonValueKind.Object ? FailureMessageOf(failed) : null),
                Time(request, "updated_at", "updated", "created_at") ?? mine.Select(r => Time(r, "updated_at", "time_succeed", "created")).Max()));
        }

        foreach (var refund in refunds.Where(r => !used.Contains(RefundIdOf(r) ?? "")))
        {
            // A Ping++ refund (or an external one in the ledger): the request id is what our metadata marker says.
            var status = (Str(refund, "status") ?? "?").ToLowerInvariant();
            rows.Add(new RefundRow(
                RefundRequestIdOf(refund) ?? (IsTrue(refund, "external") ? "(external)" : "-"),
                "-",
                RefundIdOf(refund) is { } id ? [id] : [],
                Long(refund, "amount"),
                status,
                Str(refund, "failure_code"),
                FailureMessageOf(refund),
                Time(refund, "updated_at", "time_succeed", "created")));
        }

        return rows;
    }

    public static Spectre.Console.Table Table(IReadOnlyList<RefundRow> rows)
    {
        var table = CliTable.Create("REQUEST ID", "STATE", "REFUND IDS", "AMOUNT>", "STATUS", "FAILURE", "UPDATED (UTC)");
        foreach (var r in rows)
        {
            table.Row(
                r.RequestId,
                r.State,
                string.Join(",", r.RefundIds),
                r.Amount?.ToString(CultureInfo.InvariantCulture),
                r.Status,
                $"{r.FailureCode} {r.FailureMessage}".Trim(),
                r.Updated);
        }

        return table;
    }

    private static void Collect(JsonElement element, List<JsonElement> requests, List<JsonElement> refunds)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, requests, refunds);
                }

                break;
            case JsonValueKind.Object when IsRefund(element):
                refunds.Add(element);
                break;
            case JsonValueKind.Object when element.TryGetProperty("request_id", out _):
                requests.Add(element);
                if (element.TryGetProperty("refunds", out var own) && own.ValueKind == JsonValueKind.Array)
                {
                    Collect(own, requests, refunds);
                }

                break;
            case JsonValueKind.Object:
                foreach (var name in new[] { "requests", "data", "refunds", "items" })
                {
                    if (element.TryGetProperty(name, out var inner) && inner.ValueKind == JsonValueKind.Array)
                    {
                        Collect(inner, requests, refunds);
                    }
                }

                break;
        }
    }

    private static bool IsRefund(JsonElement e)
        => Str(e, "object") == "refund"
           || e.TryGetProperty("refund_id", out _)
           || (Str(e, "id") is { } id && id.StartsWith("re_", StringComparison.Ordinal));

    private static bool IsTrue(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static string? RefundIdOf(JsonElement refund) => Str(refund, "refund_id", "id");

    private static string? RefundRequestIdOf(JsonElement refund)
        => Str(refund, "request_id")
           ?? (refund.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? Str(m, PingppMetadata.RequestId) : null);

    private static string? FailureMessageOf(JsonElement e) => Str(e, "failure_msg", "failure_message");

    private static string? Str(JsonElement e, params string[] names)
    {
        foreach (var name in names)
        {
            if (e.TryGetProperty(name, out var v))
            {
                switch (v.ValueKind)
                {
                    case JsonValueKind.String when v.GetString() is { Length: > 0 } s:
                        return s;
                    case JsonValueKind.Number:
                        return v.GetRawText();
                }
            }
        }

        return null;
    }

    private static long? Long(JsonElement e, params string[] names)
    {
        foreach (var name in names)
        {
            if (e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n))
            {
                return n;
            }
        }

        return null;
    }

    private static List<string> Strings(JsonElement e, string name)
        => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
            : [];

    /// <summary>ISO timestamps or Ping++'s unix seconds, shown the same way.</summary>
    private static string? Time(JsonElement e, params string[] names)
    {
        foreach (var name in names)
        {
            if (!e.TryGetProperty(name, out var v))
            {
                continue;
            }

            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var seconds) && seconds > 0)
            {
                return Format(DateTimeOffset.FromUnixTimeSeconds(seconds));
            }

            if (v.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                return Format(at);
            }
        }

        return null;
    }

    private static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
