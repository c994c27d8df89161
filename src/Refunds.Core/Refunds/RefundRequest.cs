using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Refunds.Core.Diagnostics;
using Refunds.Core.Pingpp;

namespace Refunds.Core.Refunds;

/// <summary>
/// A request to refund (part of) a Ping++ order, as carried by the <c>refund-requests</c> queue. Build one with
/// <see cref="RefundRequestParser"/>; code that builds one by hand checks it with <see cref="RefundRequestRules.Validate"/>.
/// Two requests are equal when they have the same <see cref="RequestId"/> and the same <see cref="Fingerprint"/>.
/// </summary>
public sealed record RefundRequest
{
    /// <summary>The idempotency key: one request id reaches Ping++ at most once (docs/refund-protocol.md).</summary>
    public required string RequestId { get; init; }

    public required string OrderId { get; init; }

    public required string Description { get; init; }

    /// <summary>The charge to refund; null = every charge of the order.</summary>
    public string? Charge { get; init; }

    /// <summary>Fen to refund from <see cref="Charge"/>; null = the remaining refundable amount.</summary>
    public long? ChargeAmount { get; init; }

    public OrderRefundMode? RefundMode { get; init; }

    public RefundFundingSource? FundingSource { get; init; }

    /// <summary>Null = Ping++'s default (claw back every royalty); never empty (the sources disagree on what [] means).</summary>
    public IReadOnlyList<RoyaltyUserRefund>? RoyaltyUsers { get; init; }

    /// <summary>The caller's metadata, without our <see cref="PingppMetadata.RequestId"/> (added on the way to Ping++).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = EmptyMetadata;

    private static readonly IReadOnlyDictionary<string, string> EmptyMetadata = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The body for <see cref="PingppClient.CreateOrderRefundAsync"/>; metadata carries the request id as the refund's marker.</summary>
    public CreateOrderRefundRequest ToCreateOrderRefundRequest()
    {
        var metadata = new Dictionary<string, string>(Metadata, StringComparer.Ordinal)
        {
            [PingppMetadata.RequestId] = RequestId,
        };
        return new CreateOrderRefundRequest
        {
            Description = Description,
            Charge = Charge,
            ChargeAmount = ChargeAmount,
            RefundMode = RefundMode,
            FundingSource = FundingSource,
            RoyaltyUsers = RoyaltyUsers,
            Metadata = metadata,
        };
    }

    /// <summary>The canonical queue message (plain JSON, UTF-8) that <see cref="RefundRequestParser.Parse(string, string?)"/> reads back as an equal request.</summary>
    public byte[] ToQueueJsonUtf8() => ToQueueJsonUtf8(null);

    /// <summary>
    /// The canonical queue message with the enqueuer's trace context after the request's fields (the parser reads it
    /// aside: the request and its fingerprint are the same with or without it).
    /// </summary>
    internal byte[] ToQueueJsonUtf8(MessageTraceContext? trace)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = PingppJson.Options.Encoder }))
        {
            writer.WriteStartObject();
            writer.WriteString(RefundRequestFields.RequestId, RequestId);
            writer.WriteString(RefundRequestFields.OrderId, OrderId);
            writer.WriteString(RefundRequestFields.Description, Description);
            if (Charge is not null)
            {
                writer.WriteString(RefundRequestFields.Charge, Charge);
            }

            if (ChargeAmount is { } amount)
            {
                writer.WriteNumber(RefundRequestFields.ChargeAmount, amount);
            }

            if (RefundMode is { } mode)
            {
                writer.WriteString(RefundRequestFields.RefundMode, RefundRequestRules.ToWire(mode));
            }

            if (FundingSource is { } source)
            {
                writer.WriteString(RefundRequestFields.FundingSource, RefundRequestRules.ToWire(source));
            }

            if (RoyaltyUsers is not null)
            {
                writer.WriteStartArray(RefundRequestFields.RoyaltyUsers);
                foreach (var user in RoyaltyUsers)
                {
                    writer.WriteStartObject();
                    writer.WriteString(RefundRequestFields.RoyaltyUser, user.User);
                    writer.WriteNumber(RefundRequestFields.RoyaltyAmountRefunded, user.AmountRefunded);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            if (Metadata.Count > 0)
            {
                writer.WriteStartObject(RefundRequestFields.Metadata);
                foreach (var (key, value) in Metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
            }

            if (trace is { } context)
            {
                writer.WriteString(RefundRequestFields.TraceParent, context.TraceParent);
                if (context.TraceState is not null)
                {
                    writer.WriteString(RefundRequestFields.TraceState, context.TraceState);
                }
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <inheritdoc cref="ToQueueJsonUtf8"/>
    public string ToQueueJson() => Encoding.UTF8.GetString(ToQueueJsonUtf8());

    /// <summary>
    /// SHA-256 (lowercase hex) over a canonical form of the refund parameters: order id, description, charge, amount,
    /// mode, funding source, royalty users (ordered by user) and metadata (ordered by key); not the request id. The ledger
    /// compares it to tell a redelivery from a request id reused with different parameters. The form is length-prefixed
    /// binary, not JSON, so no serializer or escaping change can alter a stored fingerprint.
    /// </summary>
    public string Fingerprint
    {
        get
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            Append(hash, "refund-request/v1");
            Append(hash, OrderId);
            Append(hash, Description);
            Append(hash, Charge);
            Append(hash, ChargeAmount?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Append(hash, RefundMode is { } mode ? RefundRequestRules.ToWire(mode) : null);
            Append(hash, FundingSource is { } source ? RefundRequestRules.ToWire(source) : null);
            if (RoyaltyUsers is null)
            {
                AppendCount(hash, -1);
            }
            else
            {
                AppendCount(hash, RoyaltyUsers.Count);
                foreach (var user in RoyaltyUsers.OrderBy(u => u.User, StringComparer.Ordinal).ThenBy(u => u.AmountRefunded))
                {
                    Append(hash, user.User);
                    Append(hash, user.AmountRefunded.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            AppendCount(hash, Metadata.Count);
            foreach (var (key, value) in Metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                Append(hash, key);
                Append(hash, value);
            }

            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }
    }

    public bool Equals(RefundRequest? other)
        => other is not null
           && string.Equals(RequestId, other.RequestId, StringComparison.Ordinal)
           && string.Equals(Fingerprint, other.Fingerprint, StringComparison.Ordinal);

    public override int GetHashCode() => HashCode.Combine(RequestId, OrderId, Description, ChargeAmount);

    // Null (absent) and "" must hash differently, hence the -1 length for null.
    private static void Append(IncrementalHash hash, string? value)
    {
        if (value is null)
        {
            AppendCount(hash, -1);
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        AppendCount(hash, bytes.Length);
        hash.AppendData(bytes);
    }

    private static void AppendCount(IncrementalHash hash, int count)
    {
        Span<byte> prefix = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, count);
        hash.AppendData(prefix);
    }
}
