using System.Text.Json.Nodes;

namespace Pingpp.Simulator.State;

/// <summary>A Ping++ order, paid through one or more charges.</summary>
public sealed class SimOrder(string id, long amount, string status, DateTimeOffset created, IReadOnlyList<SimCharge> charges)
{
    private readonly List<SimCharge> _charges = [.. charges];

    public string Id { get; } = id;
    public long Amount { get; } = amount;
    public DateTimeOffset Created { get; } = created;
    public IReadOnlyList<SimCharge> Charges => _charges;
    public string MerchantOrderNo { get; } = PingppIds.Digits(16);
    public string Subject { get; init; } = "Simulated order";
    public string Body { get; init; } = "Simulated order body";

    /// <summary>Order of creation, to list orders created in the same second newest first, as Ping++ does.</summary>
    public long Sequence { get; init; }

    /// <summary><c>paid</c>, <c>canceled</c> (paid after cancellation) or <c>refunded</c>.</summary>
    public string Status { get; set; } = status;

    /// <summary>Ping++: "是否存在退款信息,无论退款是否成功" – set as soon as any refund exists.</summary>
    public bool Refunded { get; set; }

    /// <summary>Makes every refund of this order settle to failed (admin seeding option).</summary>
    public RefundFailure? RefundFailure { get; init; }

    public bool OrderRefundedEventSent { get; set; }

    /// <summary>A further payment of the order (a second or third charge: the payer paid again).</summary>
    public void AddCharge(SimCharge charge) => _charges.Add(charge);

    public long ActualAmount => Amount;
    public long AmountPaid => Charges.Sum(c => c.Amount);
    public long AmountRefunded => Charges.Sum(c => c.AmountRefunded);
    public bool FullyRefunded => AmountRefunded >= AmountPaid;

    public JsonObject ToJson(bool livemode, string app)
    {
        var first = Charges.Count > 0 ? Charges[0] : null;
        var charges = new JsonArray();
        foreach (var charge in Charges)
        {
            charges.Add(charge.ToJson(this, livemode, app));
        }
        return new JsonObject
        {
            ["id"] = Id,
            ["object"] = "order",
            ["created"] = Created.ToUnixTimeSeconds(),
            ["livemode"] = livemode,
            ["paid"] = true,
            ["refunded"] = Refunded,
            ["status"] = Status,
            ["app"] = app,
            ["uid"] = "0",
            ["available_balance"] = 0,
            ["merchant_order_no"] = MerchantOrderNo,
            ["amount"] = Amount,
            ["actual_amount"] = ActualAmount,
            ["amount_refunded"] = AmountRefunded,
            ["amount_paid"] = AmountPaid,
            ["coupon_amount"] = 0,
            ["currency"] = "cny",
            ["subject"] = Subject,
            ["body"] = Body,
            ["client_ip"] = "127.0.0.1",
            ["time_paid"] = first?.PaidAt.ToUnixTimeSeconds(),
            ["time_expire"] = Created.AddDays(1).ToUnixTimeSeconds(),
            ["coupon"] = null,
            ["description"] = null,
            ["metadata"] = new JsonObject(),
            ["charge_essentials"] = new JsonObject
            {
                ["channel"] = first?.Channel,
                ["transaction_no"] = first?.TransactionNo,
                ["failure_code"] = null,
                ["failure_msg"] = null,
                ["extra"] = new JsonObject(),
                ["credential"] = new JsonObject(),
            },
            ["receipt_app"] = app,
            ["service_app"] = app,
            ["available_methods"] = new JsonArray(),
            ["charge"] = first?.Id,
            ["charges"] = new JsonObject
            {
                ["object"] = "list",
                ["url"] = "/v1/charges",
                ["has_more"] = false,
                ["data"] = charges,
            },
        };
    }
}

/// <summary>How a refund fails at the channel.</summary>
public sealed record RefundFailure(string FailureCode, string FailureMsg);
