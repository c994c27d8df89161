using System.Text.Json.Serialization;

namespace Refunds.Core.Pingpp;

/// <summary>Status of a refund at Ping++ ("目前支持三种状态").</summary>
public enum PingppRefundStatus
{
    Pending,
    Succeeded,
    Failed,
}

/// <summary>A Ping++ <c>refund</c> object, as returned by the order-refund endpoints and carried by refund events.</summary>
public sealed record PingppRefund
{
    public required string Id { get; init; }
    public string Object { get; init; } = "refund";
    public string? OrderNo { get; init; }
    public long Amount { get; init; }
    public long Created { get; init; }
    public bool Succeed { get; init; }
    public PingppRefundStatus Status { get; init; }
    public long? TimeSucceed { get; init; }
    public string? Description { get; init; }
    public string? FailureCode { get; init; }
    public string? FailureMsg { get; init; }
    [JsonConverter(typeof(PingppMetadataConverter))]
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    public string? Charge { get; init; }
    public string? ChargeOrderNo { get; init; }
    public string? TransactionNo { get; init; }
    public string? FundingSource { get; init; }

    /// <summary>Channel details, read as leniently as metadata (PHP's empty <c>[]</c> is empty).</summary>
    [JsonConverter(typeof(PingppMetadataConverter))]
    public IReadOnlyDictionary<string, string>? Extra { get; init; }

    /// <summary>The page a pending refund must be confirmed at (<c>extra.url</c>: Alipay's confirm-by-password refunds), if any.</summary>
    [JsonIgnore]
    public string? ChannelUrl => Extra is not null && Extra.TryGetValue("url", out var url) && url.Length > 0 ? url : null;

    /// <summary>The refund request id this app put into metadata, if any.</summary>
    [JsonIgnore]
    public string? RequestId => Metadata is not null && Metadata.TryGetValue(PingppMetadata.RequestId, out var id) ? id : null;
}

/// <summary>A Ping++ list object (<c>{"object":"list","has_more":…,"data":[…]}</c>).</summary>
public sealed record PingppList<T>
{
    public string Object { get; init; } = "list";
    public string? Url { get; init; }
    public bool HasMore { get; init; }
    public IReadOnlyList<T> Data { get; init; } = [];
}
