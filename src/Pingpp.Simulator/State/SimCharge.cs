using System.Text.Json.Nodes;

namespace Pingpp.Simulator.State;

/// <summary>A paid charge inside an order.</summary>
public sealed class SimCharge(string id, string orderId, string channel, long amount, DateTimeOffset paidAt)
{
    public string Id { get; } = id;
    public string OrderId { get; } = orderId;
    public string Channel { get; } = channel;
    public long Amount { get; } = amount;
    public DateTimeOffset PaidAt { get; } = paidAt;
    public string TransactionNo { get; } = PingppIds.Digits(28);

    /// <summary>Succeeded refunds only ("已退金额").</summary>
    public long AmountRefunded { get; set; }

    /// <summary>Pending + succeeded refunds: what can no longer be refunded.</summary>
    public long AmountReserved { get; set; }

    public long Refundable => Amount - AmountReserved;

    public JsonObject ToJson(SimOrder order, bool livemode, string app) => new()
    {
        ["id"] = Id,
        ["object"] = "charge",
        ["created"] = PaidAt.ToUnixTimeSeconds(),
        ["livemode"] = livemode,
        ["paid"] = true,
        ["refunded"] = AmountRefunded >= Amount,
        ["reversed"] = false,
        ["app"] = app,
        ["channel"] = Channel,
        ["order_no"] = order.MerchantOrderNo,
        ["client_ip"] = "127.0.0.1",
        ["amount"] = Amount,
        ["amount_settle"] = Amount,
        ["currency"] = "cny",
        ["subject"] = order.Subject,
        ["body"] = order.Body,
        ["extra"] = new JsonObject(),
        ["time_paid"] = PaidAt.ToUnixTimeSeconds(),
        ["time_expire"] = PaidAt.AddDays(1).ToUnixTimeSeconds(),
        ["time_settle"] = null,
        ["transaction_no"] = TransactionNo,
        ["refunds"] = null,
        ["amount_refunded"] = AmountRefunded,
        ["failure_code"] = null,
        ["failure_msg"] = null,
        ["metadata"] = new JsonObject(),
        ["credential"] = new JsonObject(),
        ["description"] = null,
    };
}
