using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Refunds.Core.Pingpp;
using Refunds.Core.Refunds;

namespace Refunds.Cli;

/// <summary>
/// The refund fields of <c>enqueue</c> and <c>submit</c>. They are written into a message exactly as typed (an amount
/// that is not a number stays a string) and checked by <see cref="RefundRequestParser"/>, so the CLI accepts and
/// rejects precisely what the app does, with the app's reasons.
/// </summary>
internal sealed record RefundArguments
{
    public const string MetadataOption = "--metadata";

    /// <summary>Which option sets which message field, to name the option the user typed in a rejection.</summary>
    private static readonly IReadOnlyDictionary<string, string> OptionOfField = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [RefundRequestFields.OrderId] = "--order",
        [RefundRequestFields.Description] = "--description",
        [RefundRequestFields.Charge] = "--charge",
        [RefundRequestFields.ChargeAmount] = "--amount",
        [RefundRequestFields.RefundMode] = "--refund-mode",
        [RefundRequestFields.FundingSource] = "--funding-source",
        [RefundRequestFields.RequestId] = "--request-id",
        [RefundRequestFields.Metadata] = MetadataOption,
        [RefundRequestFields.IdempotencyKeyHeader] = "--request-id",
    };

    public string? OrderId { get; init; }
    public string? Description { get; init; }
    public string? Charge { get; init; }
    public string? Amount { get; init; }
    public string? RefundMode { get; init; }
    public string? FundingSource { get; init; }
    public string? RequestId { get; init; }
    public IReadOnlyList<string> Metadata { get; init; } = [];

    public static RefundArguments From(System.CommandLine.ParseResult parsed, RefundOptions options, string? orderId) => new()
    {
        OrderId = orderId,
        Description = parsed.GetValue(options.Description),
        Charge = parsed.GetValue(options.Charge),
        Amount = parsed.GetValue(options.Amount),
        RefundMode = parsed.GetValue(options.RefundMode),
        FundingSource = parsed.GetValue(options.FundingSource),
        RequestId = parsed.GetValue(options.RequestId),
        Metadata = parsed.GetValue(options.Metadata) ?? [],
    };

    /// <summary>A new request id for a caller that gave none: printed, so a retry can reuse it.</summary>
    public static string NewRequestId() => "cli-" + Guid.NewGuid().ToString("N");

    /// <summary>The queue message, validated as the queue function will validate it.</summary>
    public ValidatedRefund ValidateAsQueueMessage(string requestId)
    {
        var json = WriteJson(requestId, includeOrderId: true, out var problems);
        return ValidatedRefund.From(RefundRequestParser.Parse(json, null), problems);
    }

    /// <summary>The HTTP body (no order id, no request id: they travel in the route and the Idempotency-Key header).</summary>
    public ValidatedRefund ValidateAsHttpBody(string orderId, string requestId)
    {
        var body = WriteJson(null, includeOrderId: false, out var problems);
        return ValidatedRefund.From(RefundRequestParser.ParseHttp(body, orderId, requestId), problems);
    }

    /// <summary>The canonical HTTP body of a valid request: its queue JSON without the route's and the header's fields.</summary>
    public static byte[] HttpBody(RefundRequest request)
    {
        var node = JsonNode.Parse(request.ToQueueJsonUtf8())!.AsObject();
        node.Remove(RefundRequestFields.OrderId);
        node.Remove(RefundRequestFields.RequestId);
        return JsonSerializer.SerializeToUtf8Bytes(node, PingppJson.Options);
    }

    /// <summary>Writes every reason, naming the option behind each field.</summary>
    public static void WriteReasons(TextWriter stderr, IEnumerable<RefundRequestRejectionReason> reasons)
    {
        stderr.WriteLine("the refund request is invalid; nothing was sent:");
        foreach (var reason in reasons)
        {
            var root = reason.Field.Split('.', '[')[0];
            var option = OptionOfField.TryGetValue(root, out var o) ? $" ({o})" : "";
            stderr.WriteLine($"  {reason.Field}{option}: {reason.Reason}");
        }
    }

    private byte[] WriteJson(string? requestId, bool includeOrderId, out List<RefundRequestRejectionReason> problems)
    {
        problems = [];
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = PingppJson.Options.Encoder }))
        {
            writer.WriteStartObject();
            if (requestId is not null)
            {
                writer.WriteString(RefundRequestFields.RequestId, requestId);
            }

            if (includeOrderId && OrderId is not null)
            {
                writer.WriteString(RefundRequestFields.OrderId, OrderId);
            }

            WriteIfPresent(writer, RefundRequestFields.Description, Description);
            WriteIfPresent(writer, RefundRequestFields.Charge, Charge);
            if (Amount is not null)
            {
                writer.WritePropertyName(RefundRequestFields.ChargeAmount);
                if (IsJsonNumber(Amount))
                {
                    // As typed: the parser then says "must be a whole number of fen, not 1.5" rather than "not a string".
                    writer.WriteRawValue(Amount);
                }
                else
                {
                    writer.WriteStringValue(Amount);
                }
            }

            WriteIfPresent(writer, RefundRequestFields.RefundMode, RefundMode);
            WriteIfPresent(writer, RefundRequestFields.FundingSource, FundingSource);
            if (Metadata.Count > 0)
            {
                writer.WriteStartObject(RefundRequestFields.Metadata);
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var pair in Metadata)
                {
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        problems.Add(new(RefundRequestFields.Metadata, $"'{pair}' is not key=value"));
                        continue;
                    }

                    var key = pair[..eq];
                    if (!seen.Add(key))
                    {
                        problems.Add(new($"{RefundRequestFields.Metadata}.{key}", "is given more than once"));
                        continue;
                    }

                    writer.WriteString(key, pair[(eq + 1)..]);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteIfPresent(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static bool IsJsonNumber(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Number;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>A valid request, or every reason (the parser's and the CLI's own, e.g. a <c>--metadata</c> pair without <c>=</c>).</summary>
internal sealed record ValidatedRefund(RefundRequest? Request, IReadOnlyList<RefundRequestRejectionReason> Reasons)
{
    public static ValidatedRefund From(RefundRequestParseResult parsed, List<RefundRequestRejectionReason> cliProblems)
        => parsed.IsValid && cliProblems.Count == 0
            ? new(parsed.Request, [])
            : new(null, [.. cliProblems, .. parsed.Reasons]);
}
