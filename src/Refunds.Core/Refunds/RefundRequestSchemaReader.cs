using System.Globalization;
using System.Text.Json;
using Refunds.Core.Diagnostics;
using Refunds.Core.Pingpp;

namespace Refunds.Core.Refunds;

/// <summary>
/// Reads one refund request JSON object into its fields, reporting shape problems (wrong types, unknown or repeated
/// fields, amounts that are not whole fen); <see cref="RefundRequestRules"/> then check the values.
/// </summary>
/// <remarks>
/// <b>Unknown fields are rejected</b>, at the top level and inside <c>royalty_users</c> items: a typo such as
/// <c>charge_ammount</c> would otherwise refund the remaining amount of the charge instead of the intended part. A field
/// given twice is rejected for the same reason (which value would win is a parser detail). <c>null</c> counts as absent
/// for optional fields. Where the entry point carries trace context (<paramref name="acceptsTraceContext"/>: queue
/// messages), <c>traceparent</c> and <c>tracestate</c> are read aside and never rejected: a value that is not a single
/// string is dropped, and neither is part of the request.
/// </remarks>
internal sealed class RefundRequestSchemaReader(RefundRejectionCollector rejections, bool acceptsTraceContext = false)
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = RefundMessageDecoder.MaxDepth,
    };

    private string? _requestId;
    private string? _orderId;
    private string? _description;
    private string? _charge;
    private long? _chargeAmount;
    private OrderRefundMode? _refundMode;
    private RefundFundingSource? _fundingSource;
    private List<RoyaltyUserRefund>? _royaltyUsers;
    private Dictionary<string, string>? _metadata;
    private string? _traceParent;
    private string? _traceState;
    private bool _traceAmbiguous;

    /// <summary>Whether a JSON object was read at all (else only the transport's reasons exist).</summary>
    public bool SawObject { get; private set; }

    public bool RequestIdPresent { get; private set; }

    public string? RequestId => _requestId;

    public bool OrderIdPresent { get; private set; }

    public string? OrderId => _orderId;

    public bool DescriptionPresent { get; private set; }

    /// <summary>The message's trace context as given (validated only when used); null when absent, not a string or given twice.</summary>
    public MessageTraceContext? TraceContext
        => _traceParent is null || _traceAmbiguous ? null : new MessageTraceContext(_traceParent, _traceState);

    /// <summary>The request as read, under the ids the id source settled on; the rules have not checked it yet.</summary>
    public RefundRequest Draft(string? requestId, string? orderId) => new()
    {
        RequestId = requestId ?? "",
        OrderId = orderId ?? "",
        Description = _description ?? "",
        Charge = _charge,
        ChargeAmount = _chargeAmount,
        RefundMode = _refundMode,
        FundingSource = _fundingSource,
        RoyaltyUsers = _royaltyUsers,
        Metadata = _metadata ?? new Dictionary<string, string>(StringComparer.Ordinal),
    };

    public void ReadDocument(byte[] json, string origin)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            rejections.Report(RefundRequestFields.Message,
                $"is not valid JSON{origin} (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})");
            return;
        }

        using (document)
        {
            SawObject = true;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                var name = property.Name;
                if (acceptsTraceContext && name is RefundRequestFields.TraceParent or RefundRequestFields.TraceState)
                {
                    ReadTraceField(name, property.Value, repeated: !seen.Add(name));
                    continue;
                }

                if (!seen.Add(name))
                {
                    rejections.Report(name, "appears more than once");
                    continue;
                }

                ReadTopLevel(name, property.Value);
            }
        }
    }

    /// <summary>Trace context is never a reason to reject: anything but one string per field drops it.</summary>
    private void ReadTraceField(string name, JsonElement value, bool repeated)
    {
        string? text = null;
        try
        {
            text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        }
        catch (InvalidOperationException)
        {
            // Not valid Unicode: no trace context.
        }

        _traceAmbiguous |= repeated;
        if (name == RefundRequestFields.TraceParent)
        {
            _traceParent = text;
        }
        else
        {
            _traceState = text is { Length: <= MessageTraceContext.MaxTraceStateLength } ? text : null;
        }
    }

    private void ReadTopLevel(string name, JsonElement value)
    {
        switch (name)
        {
            case RefundRequestFields.RequestId:
                RequestIdPresent = ReadString(name, value, out _requestId);
                break;
            case RefundRequestFields.OrderId:
                OrderIdPresent = ReadString(name, value, out _orderId);
                break;
            case RefundRequestFields.Description:
                DescriptionPresent = ReadString(name, value, out _description);
                break;
            case RefundRequestFields.Charge:
                ReadString(name, value, out _charge);
                break;
            case RefundRequestFields.ChargeAmount:
                ReadAmount(name, value, out _chargeAmount);
                break;
            case RefundRequestFields.RefundMode:
                _refundMode = ReadChoice(name, value, RefundRequestRules.RefundModeFromWire, "must be to_source or to_balance");
                break;
            case RefundRequestFields.FundingSource:
                _fundingSource = ReadChoice(name, value, RefundRequestRules.FundingSourceFromWire, "must be unsettled_funds or recharge_funds");
                break;
            case RefundRequestFields.RoyaltyUsers:
                ReadRoyaltyUsers(value);
                break;
            case RefundRequestFields.Metadata:
                ReadMetadata(value);
                break;
            default:
                rejections.Report(name, "is not a known field (unknown fields are rejected so that a misspelt one cannot change the refund)");
                break;
        }
    }

    /// <summary>One of a field's wire values (<paramref name="fromWire"/>), or null: absent, or reported as not a string or not one of them.</summary>
    private T? ReadChoice<T>(string field, JsonElement value, Func<string, T?> fromWire, string problem)
        where T : struct
    {
        if (!ReadString(field, value, out var text) || text is null)
        {
            return null;
        }

        var choice = fromWire(text);
        if (choice is null)
        {
            rejections.Report(field, problem);
        }

        return choice;
    }

    /// <summary>True when the field holds a string (stored in <paramref name="result"/>); null counts as absent.</summary>
private bool ReadString(string field, JsonElement value, out string? result)
    {
        result = null;
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return false;
            case JsonValueKind.String:
                try
                {
                    result = value.GetString();
                    return true;
                }
                catch (InvalidOperationException)
                {
                    rejections.Report(field, "is not valid Unicode text");
                    return false;
                }

            default:
                rejections.Report(field, $"must be a string, not {Describe(value)}");
                return false;
        }
    }

private void ReadAmount(string field, JsonElement value, out long? result)
    {
        result = null;
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return;
            case JsonValueKind.Number:
                var raw = value.GetRawText();
                if (raw.AsSpan().TrimStart('-').ContainsAnyExceptInRange('0', '9'))
                {
                    rejections.Report(field, $"must be a whole number of fen, not {raw}");
                }
                else if (!value.TryGetInt64(out var amount))
                {
                    rejections.Report(field, $"is larger than {RefundRequestRules.MaxAmount.ToString(CultureInfo.InvariantCulture)} fen");
                }
                else
                {
                    result = amount;
                }

                return;
            default:
                rejections.Report(field, $"must be a whole number of fen, not {Describe(value)}");
                return;
        }
    }

private void ReadRoyaltyUsers(JsonElement value)
    {
        const string field = RefundRequestFields.RoyaltyUsers;
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            rejections.Report(field, $"must be an array, not {Describe(value)}");
            return;
        }

        _royaltyUsers = [];
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var at = $"{field}[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                rejections.Report(at, $"must be an object, not {Describe(item)}");
                _royaltyUsers.Add(null!); // keeps the indexes of later items in line with the message
                continue;
            }

            string? user = null;
            long? amount = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in item.EnumerateObject())
            {
                var path = $"{at}.{property.Name}";
                if (!seen.Add(property.Name))
                {
                    rejections.Report(path, "appears more than once");
                    continue;
                }

                switch (property.Name)
                {
                    case RefundRequestFields.RoyaltyUser:
                        ReadString(path, property.Value, out user);
                        break;
                    case RefundRequestFields.RoyaltyAmountRefunded:
                        ReadAmount(path, property.Value, out amount);
                        break;
                    default:
                        rejections.Report(path, "is not a known field");
                        break;
                }
            }

            rejections.RequirePresent($"{at}.{RefundRequestFields.RoyaltyUser}", user is not null);
            rejections.RequirePresent($"{at}.{RefundRequestFields.RoyaltyAmountRefunded}", amount is not null);
            _royaltyUsers.Add(new RoyaltyUserRefund(user ?? "", amount ?? 0));
        }
    }

private void ReadMetadata(JsonElement value)
    {
        const string field = RefundRequestFields.Metadata;
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return;
            case JsonValueKind.Array when value.GetArrayLength() == 0:
                // PHP encodes an empty hash as [] (the guide's PHP example sends 'metadata' => []).
                _metadata = new(StringComparer.Ordinal);
                return;
            case JsonValueKind.Object:
                break;
            default:
                rejections.Report(field, $"must be an object, not {Describe(value)}");
                return;
        }

        _metadata = new(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            var path = $"{field}.{property.Name}";
            if (_metadata.ContainsKey(property.Name))
            {
                rejections.Report(path, "appears more than once");
                continue;
            }

            var item = property.Value;
            switch (item.ValueKind)
            {
                case JsonValueKind.String:
                    if (ReadString(path, item, out var text))
                    {
                        _metadata[property.Name] = text!;
                    }
                    else
                    {
                        _metadata[property.Name] = "";
                    }

                    break;
                case JsonValueKind.Number:
                    // Kept as written (Ping++ echoes metadata as the merchant sent it).
                    _metadata[property.Name] = item.GetRawText();
                    break;
                case JsonValueKind.True:
                    _metadata[property.Name] = "true";
                    break;
                case JsonValueKind.False:
                    _metadata[property.Name] = "false";
                    break;
                default:
                    rejections.Report(path, $"must be a string, number or boolean, not {Describe(item)}");
                    _metadata[property.Name] = ""; // counted towards the key limit all the same
                    break;
            }
        }
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => value.ValueKind.ToString(),
    };
}
