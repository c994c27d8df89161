using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Refunds.Core.Pingpp;

namespace Refunds.Core.Refunds;

/// <summary>
/// Reads refund requests from the <c>refund-requests</c> queue and from <c>POST /api/orders/{orderId}/refunds</c>.
/// Never throws on bad input: the result lists every problem found, so a producer fixes its message in one go.
/// </summary>
/// <remarks>
/// <para>Queue messages may be plain JSON or base64-encoded JSON (Azure SDK producers differ): text that starts with
/// <c>{</c> (after JSON whitespace or a BOM) is JSON; otherwise strict base64 (standard alphabet, padded) that decodes to
/// UTF-8 JSON. The size limit (<see cref="RefundRequestRules.MaxMessageBytes"/>) applies to the message as received
/// and is checked before anything is decoded.</para>
/// <para><b>Unknown fields are rejected</b>, at the top level and inside <c>royalty_users</c> items: a typo such as
/// <c>charge_ammount</c> would otherwise refund the remaining amount of the charge instead of the intended part.
/// A field given twice is rejected for the same reason (which value would win is a parser detail).
/// <c>null</c> counts as absent for optional fields.</para>
/// </remarks>
public static class RefundRequestParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 16,
    };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// A queue message as bytes. A message without <c>request_id</c> is rejected; <paramref name="fallbackRequestId"/>
    /// (the queue message id) only names that rejection, it never becomes a request's id.
    /// </summary>
    public static RefundRequestParseResult Parse(ReadOnlySpan<byte> message, string? fallbackRequestId)
    {
        var rawText = Encoding.UTF8.GetString(message);
        var ids = new QueueIds(fallbackRequestId);
        if (message.Length > RefundRequestRules.MaxMessageBytes)
        {
            return TooLarge(message.Length, rawText, ids);
        }

        if (!Utf8.IsValid(message))
        {
            return Reject(ids, rawText, RefundRequestFields.Message, "is not UTF-8 text");
        }

        return ParseMessage(message, rawText, ids);
    }

    /// <summary>A queue message as text (what the Functions queue trigger hands over).</summary>
    public static RefundRequestParseResult Parse(string message, string? fallbackRequestId)
    {
        ArgumentNullException.ThrowIfNull(message);
        var ids = new QueueIds(fallbackRequestId);

        // Every char is at least one UTF-8 byte: a long string is too large without counting.
        if (message.Length > RefundRequestRules.MaxMessageBytes)
        {
            return TooLarge(null, message, ids);
        }

        byte[] utf8;
        try
        {
            utf8 = StrictUtf8.GetBytes(message);
        }
        catch (EncoderFallbackException)
        {
            return Reject(ids, message, RefundRequestFields.Message, "is not valid Unicode text (unpaired surrogate)");
        }

        if (utf8.Length > RefundRequestRules.MaxMessageBytes)
        {
            return TooLarge(utf8.Length, message, ids);
        }

        return ParseMessage(utf8, message, ids);
    }

    /// <summary>
    /// The body of <c>POST /api/orders/{orderId}/refunds</c>: the queue fields without <c>order_id</c> (taken from the
    /// route; a body <c>order_id</c> must match it). The request id is the body's <c>request_id</c>, else
    /// <paramref name="idempotencyKey"/> (the <c>Idempotency-Key</c> header; pass null when absent); with neither the
    /// body is rejected (<c>request_id</c> is required). A body id and a header id that differ are rejected.
    /// The body must be plain JSON.
    /// </summary>
    public static RefundRequestParseResult ParseHttp(ReadOnlySpan<byte> body, string routeOrderId, string? idempotencyKey)
    {
        var rawText = Encoding.UTF8.GetString(body);
        var ids = new HttpIds(routeOrderId ?? "", idempotencyKey);
        if (body.Length > RefundRequestRules.MaxMessageBytes)
        {
            return TooLarge(body.Length, rawText, ids);
        }

        if (!Utf8.IsValid(body))
        {
            return Reject(ids, rawText, RefundRequestFields.Message, "is not UTF-8 text");
        }

        return ParseMessage(body, rawText, ids);
    }

    private static RefundRequestParseResult ParseMessage(ReadOnlySpan<byte> utf8, string rawText, IdSources ids)
    {
        var reader = new Reader(ids);
        var base64 = false;
        try
        {
            var text = TrimJsonWhitespace(utf8);
            if (text.IsEmpty)
            {
                reader.Report(RefundRequestFields.Message, "is empty");
            }
            else if (text[0] == (byte)'{')
            {
                reader.ReadDocument(text, "");
            }
            else if (ParsesAsJson(text, out var kind))
            {
                reader.Report(RefundRequestFields.Message, $"must be a JSON object, not {kind}");
            }
            else if (ids.AllowsBase64 && TryDecodeStrictBase64(text, out var decoded))
            {
                base64 = true;
                var inner = TrimJsonWhitespace(decoded);
                if (!Utf8.IsValid(decoded))
                {
                    reader.Report(RefundRequestFields.Message, "is base64 but does not decode to UTF-8 text");
                }
                else if (!inner.IsEmpty && inner[0] == (byte)'{')
                {
                    reader.ReadDocument(inner, " (base64-decoded)");
                }
                else if (ParsesAsJson(inner, out var innerKind))
                {
                    reader.Report(RefundRequestFields.Message, $"is base64 of JSON that is not an object but {innerKind}");
                }
                else
                {
                    reader.Report(RefundRequestFields.Message, "is base64 but does not decode to JSON");
                }
            }
            else
            {
                reader.Report(RefundRequestFields.Message, ids.AllowsBase64 ? "is neither JSON nor base64-encoded JSON" : "is not JSON");
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            // Reader has already reported what it understood; a surprise from the JSON stack must not become a retry loop.
            reader.Report(RefundRequestFields.Message, "could not be read: " + ex.GetType().Name);
        }

        return reader.Finish(rawText, base64);
    }

    private static RefundRequestParseResult TooLarge(long? bytes, string rawText, IdSources ids)
        => Reject(ids, rawText, RefundRequestFields.Message,
            bytes is { } n
                ? $"is {n.ToString(CultureInfo.InvariantCulture)} bytes, more than the {RefundRequestRules.MaxMessageBytes} bytes allowed"
                : $"is more than the {RefundRequestRules.MaxMessageBytes} bytes allowed");

    private static RefundRequestParseResult Reject(IdSources ids, string rawText, string field, string reason)
    {
        var reader = new Reader(ids);
        reader.Report(field, reason);
        return reader.Finish(rawText, base64: false);
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
        var reader = new Utf8JsonReader(text, new JsonReaderOptions { MaxDepth = DocumentOptions.MaxDepth });
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

    /// <summary>Where the request id and the order id come from: the queue message or the HTTP request.</summary>
    private abstract class IdSources
    {
        public abstract bool AllowsBase64 { get; }

        public abstract bool OrderIdFromBody { get; }
    }

    private sealed class QueueIds(string? fallbackRequestId) : IdSources
    {
        public string? FallbackRequestId { get; } = fallbackRequestId;

        public override bool AllowsBase64 => true;

        public override bool OrderIdFromBody => true;
    }

    private sealed class HttpIds(string routeOrderId, string? idempotencyKey) : IdSources
    {
        public string RouteOrderId { get; } = routeOrderId;

        public string? IdempotencyKey { get; } = idempotencyKey;

        public override bool AllowsBase64 => false;

        public override bool OrderIdFromBody => false;
    }

    /// <summary>Turns one JSON object into a draft request, reporting shape problems; the rules then check the values.</summary>
    private sealed class Reader(IdSources ids)
    {
        private readonly List<RefundRequestRejectionReason> _reasons = [];
        private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
        private bool _sawObject;

        private string? _requestId;
        private bool _requestIdPresent;
        private string? _orderId;
        private bool _orderIdPresent;
        private string? _description;
        private bool _descriptionPresent;
        private string? _charge;
        private long? _chargeAmount;
        private OrderRefundMode? _refundMode;
        private RefundFundingSource? _fundingSource;
        private List<RoyaltyUserRefund>? _royaltyUsers;
        private Dictionary<string, string>? _metadata;

        public void Report(string field, string reason)
        {
            _reasons.Add(new(field, reason));
            _reported.Add(field);
        }

        public void ReadDocument(ReadOnlySpan<byte> json, string origin)
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(json.ToArray(), DocumentOptions);
            }
            catch (JsonException ex)
            {
                Report(RefundRequestFields.Message,
                    $"is not valid JSON{origin} (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})");
                return;
            }

            using (document)
            {
                _sawObject = true;
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    var name = property.Name;
                    if (!seen.Add(name))
                    {
                        Report(name, "appears more than once");
                        continue;
                    }

                    ReadTopLevel(name, property.Value);
                }
            }
        }

        private void ReadTopLevel(string name, JsonElement value)
        {
            switch (name)
            {
                case RefundRequestFields.RequestId:
                    _requestIdPresent = ReadString(name, value, out _requestId);
                    break;
                case RefundRequestFields.OrderId:
                    _orderIdPresent = ReadString(name, value, out _orderId);
                    break;
                case RefundRequestFields.Description:
                    _descriptionPresent = ReadString(name, value, out _description);
                    break;
                case RefundRequestFields.Charge:
                    ReadString(name, value, out _charge);
                    break;
                case RefundRequestFields.ChargeAmount:
                    ReadAmount(name, value, out _chargeAmount);
                    break;
                case RefundRequestFields.RefundMode:
                    if (ReadString(name, value, out var mode) && mode is not null)
                    {
                        _refundMode = RefundRequestRules.RefundModeFromWire(mode);
                        if (_refundMode is null)
                        {
                            Report(name, "must be to_source or to_balance");
                        }
                    }

                    break;
                case RefundRequestFields.FundingSource:
                    if (ReadString(name, value, out var source) && source is not null)
                    {
                        _fundingSource = RefundRequestRules.FundingSourceFromWire(source);
                        if (_fundingSource is null)
                        {
                            Report(name, "must be unsettled_funds or recharge_funds");
                        }
                    }

                    break;
                case RefundRequestFields.RoyaltyUsers:
                    ReadRoyaltyUsers(value);
                    break;
                case RefundRequestFields.Metadata:
                    ReadMetadata(value);
                    break;
                default:
                    Report(name, "is not a known field (unknown fields are rejected so that a misspelt one cannot change the refund)");
                    break;
            }
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
                        Report(field, "is not valid Unicode text");
                        return false;
                    }

                default:
                    Report(field, $"must be a string, not {Describe(value)}");
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
                        Report(field, $"must be a whole number of fen, not {raw}");
                    }
                    else if (!value.TryGetInt64(out var amount))
                    {
                        Report(field, $"is larger than {RefundRequestRules.MaxAmount.ToString(CultureInfo.InvariantCulture)} fen");
                    }
                    else
                    {
                        result = amount;
                    }

                    return;
                default:
                    Report(field, $"must be a whole number of fen, not {Describe(value)}");
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
                Report(field, $"must be an array, not {Describe(value)}");
                return;
            }

            _royaltyUsers = [];
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                var at = $"{field}[{index++}]";
                if (item.ValueKind != JsonValueKind.Object)
                {
                    Report(at, $"must be an object, not {Describe(item)}");
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
                        Report(path, "appears more than once");
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
                            Report(path, "is not a known field");
                            break;
                    }
                }

                RequirePresent($"{at}.{RefundRequestFields.RoyaltyUser}", user is not null);
                RequirePresent($"{at}.{RefundRequestFields.RoyaltyAmountRefunded}", amount is not null);
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
                    Report(field, $"must be an object, not {Describe(value)}");
                    return;
            }

            _metadata = new(StringComparer.Ordinal);
            foreach (var property in value.EnumerateObject())
            {
                var path = $"{field}.{property.Name}";
                if (_metadata.ContainsKey(property.Name))
                {
                    Report(path, "appears more than once");
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
                        Report(path, $"must be a string, number or boolean, not {Describe(item)}");
                        _metadata[property.Name] = ""; // counted towards the key limit all the same
                        break;
                }
            }
        }

        private void RequirePresent(string field, bool present)
        {
            if (!present && !_reported.Contains(field))
            {
                Report(field, "is required");
            }
        }

        public RefundRequestParseResult Finish(string rawText, bool base64)
        {
            if (!_sawObject)
            {
                return RefundRequestParseResult.Rejected(_reasons, rawText, UsableFallbackId(), UsableOrderId(null), base64);
            }

            var orderId = ResolveOrderId();
            var requestId = ResolveRequestId();
            RequirePresent(RefundRequestFields.Description, _descriptionPresent);

            var draft = new RefundRequest
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
            RefundRequestRules.Validate(draft, _reasons, IsReported);

            if (_reasons.Count == 0)
            {
                return RefundRequestParseResult.Valid(draft, rawText, base64);
            }

            var usableId = RefundRequestRules.RequestIdProblem(requestId) is null ? requestId : UsableFallbackId();
            return RefundRequestParseResult.Rejected(_reasons, rawText, usableId, UsableOrderId(orderId), base64);
        }

        private string? ResolveOrderId()
        {
            if (ids is HttpIds http)
            {
                if (_orderIdPresent && _orderId is not null && !string.Equals(_orderId, http.RouteOrderId, StringComparison.Ordinal))
                {
                    Report(RefundRequestFields.OrderId, $"'{_orderId}' differs from the order id in the path '{http.RouteOrderId}'");
                }

                return http.RouteOrderId;
            }

            RequirePresent(RefundRequestFields.OrderId, _orderIdPresent);
            return _orderId;
        }

        private string? ResolveRequestId()
        {
            switch (ids)
            {
                case QueueIds:
                    // The queue message id is never the request's id: a redelivered, re-sent or poison copy of the
                    // message has another one, so a request under it could be performed twice. It only names the rejection.
                    if (!_requestIdPresent && !_reported.Contains(RefundRequestFields.RequestId))
                    {
                        Report(RefundRequestFields.RequestId, "is required (the idempotency key of the refund; the queue message id cannot serve: a re-sent or poison copy gets a new one)");
                    }

                    return _requestIdPresent ? _requestId : null;

                case HttpIds http:
                    if (http.IdempotencyKey is { } key && RefundRequestRules.RequestIdProblem(key) is { } keyProblem)
                    {
                        Report(RefundRequestFields.IdempotencyKeyHeader, keyProblem);
                        if (!_requestIdPresent)
                        {
                            // The header is the id: its problem is already said, under the header's name.
                            _reported.Add(RefundRequestFields.RequestId);
                        }
                    }

                    if (_requestIdPresent && http.IdempotencyKey is { } header && !string.Equals(_requestId, header, StringComparison.Ordinal))
                    {
                        Report(RefundRequestFields.RequestId, $"'{_requestId}' differs from the {RefundRequestFields.IdempotencyKeyHeader} header '{header}'");
                    }

                    if (!_requestIdPresent && http.IdempotencyKey is null && !_reported.Contains(RefundRequestFields.RequestId))
                    {
                        // A generated id would make every retry of a lost answer a new refund.
                        Report(RefundRequestFields.RequestId,
                            $"is required: give request_id in the body or an {RefundRequestFields.IdempotencyKeyHeader} header, and reuse it when you retry");
                    }

                    return _requestIdPresent ? _requestId : http.IdempotencyKey;

                default:
                    throw new InvalidOperationException("Unknown id source.");
            }
        }

        private string? UsableFallbackId()
        {
            IEnumerable<string?> candidates = ids switch
            {
                QueueIds queue => [queue.FallbackRequestId],
                HttpIds http => [http.IdempotencyKey],
                _ => [],
            };
            return candidates.FirstOrDefault(c => RefundRequestRules.RequestIdProblem(c) is null);
        }

        private string? UsableOrderId(string? orderId)
        {
            var candidate = orderId ?? (ids as HttpIds)?.RouteOrderId;
            return RefundRequestRules.IsPingppOrderId(candidate) ? candidate : null;
        }

        // A rule about a field the reader has already reported, or about a part of it, would say the same thing twice.
        private bool IsReported(string field)
        {
            if (_reported.Contains(field))
            {
                return true;
            }

            foreach (var reported in _reported)
            {
                if (field.Length > reported.Length && field.StartsWith(reported, StringComparison.Ordinal)
                    && field[reported.Length] is '.' or '[')
                {
                    return true;
                }
            }

            return false;
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
}
