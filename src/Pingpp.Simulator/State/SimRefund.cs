using System.Text.Json.Nodes;

namespace Pingpp.Simulator.State;

/// <summary>A refund of one charge of an order.</summary>
public sealed class SimRefund
{
    public required string Id { get; init; }
    public required string OrderId { get; init; }
    public required string ChargeId { get; init; }
    public required string ChargeOrderNo { get; init; }
    public required long Amount { get; init; }
    public required DateTimeOffset Created { get; init; }
    public required string Description { get; init; }
    public required JsonObject Metadata { get; init; }
    public string? FundingSource { get; init; }
    public string RefundMode { get; init; } = "to_source";

    /// <summary><c>api</c> (created through /v1) or <c>dashboard</c> (admin: a refund nobody's code asked for).</summary>
    public required string Origin { get; init; }

    public required DateTimeOffset SettleAt { get; init; }

    /// <summary>Decided at creation so that "fail the next N refunds" counts refunds, not worker ticks.</summary>
    public RefundFailure? PlannedFailure { get; init; }

    public string OrderNo { get; } = PingppIds.Digits(16);
    public string Status { get; set; } = "pending";
    public DateTimeOffset? TimeSucceed { get; set; }
    public string? FailureCode { get; set; }
    public string? FailureMsg { get; set; }
    public string? TransactionNo { get; set; }

    /// <summary>The channel's confirmation page (Alipay confirm-by-password), shown in <c>extra.url</c> while pending.</summary>
    public string? ChannelUrl { get; init; }

    /// <param name="stripMetadata">Answer with empty metadata (the <c>strip_metadata</c> fault): the refund is unchanged.</param>
    public JsonObject ToJson(bool stripMetadata = false) => new()
    {
        ["id"] = Id,
        ["object"] = "refund",
        ["order_no"] = OrderNo,
        ["amount"] = Amount,
        ["created"] = Created.ToUnixTimeSeconds(),
        ["succeed"] = Status == "succeeded",
        ["status"] = Status,
        ["time_succeed"] = TimeSucceed?.ToUnixTimeSeconds(),
        ["description"] = Description,
        ["failure_code"] = FailureCode,
        ["failure_msg"] = FailureMsg,
        ["metadata"] = stripMetadata ? new JsonObject() : Metadata.DeepClone(),
        ["charge"] = ChargeId,
        ["charge_order_no"] = ChargeOrderNo,
        ["transaction_no"] = TransactionNo,
        ["funding_source"] = FundingSource,
        ["extra"] = ChannelUrl is null ? new JsonObject() : new JsonObject { ["url"] = ChannelUrl },
    };

    /// <summary>The admin view (<c>GET /_sim/refunds</c>).</summary>
    public JsonObject ToAdminJson() => new()
    {
        ["order_id"] = OrderId,
        ["refund_id"] = Id,
        ["charge"] = ChargeId,
        ["amount"] = Amount,
        ["status"] = Status,
        ["metadata"] = Metadata.DeepClone(),
        ["created"] = Created.ToUnixTimeSeconds(),
        ["description"] = Description,
        ["failure_code"] = FailureCode,
        ["failure_msg"] = FailureMsg,
        ["origin"] = Origin,
    };
}
