using Refunds.Core.Pingpp;
using Refunds.Core.Refunds;

namespace Refunds.Core.UnitTests.Refunds;

public class RefundRequestRulesTests
{
    private static readonly RefundRequest Valid = new()
    {
        RequestId = AnomalyRefundRequestIds.For("2011708070000007521", AnomalyKind.Overpaid),
        OrderId = "2011708070000007521",
        Description = "Overpayment returned",
        Charge = "ch_eDaTe9OG0qPOz14S4KWH80eP",
        ChargeAmount = 100,
    };

    [Fact]
    public void Request_built_in_code_passes_when_valid()
        => Assert.Empty(RefundRequestRules.Validate(Valid));

    [Fact]
    public void Request_built_in_code_gets_the_same_checks_as_a_message()
    {
        var invalid = Valid with
        {
            RequestId = "a#b",
            OrderId = "",
            Description = "",
            Charge = null,
            RefundMode = (OrderRefundMode)42,
            FundingSource = (RefundFundingSource)42,
            RoyaltyUsers = [],
            Metadata = new Dictionary<string, string> { [PingppMetadata.RequestId] = "x" },
        };

        var fields = RefundRequestRules.Validate(invalid).Select(r => r.Field).Order(StringComparer.Ordinal);

        Assert.Equal(["charge_amount", "description", "funding_source", "metadata.refund_request_id", "order_id", "refund_mode", "request_id", "royalty_users"], fields);
    }

    [Theory]
    [InlineData("2011708070000007521", true)]
    [InlineData("order_A-1", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("2011/7080", false)]
    [InlineData("订单", false)]
    public void Ping_plus_plus_order_ids_are_ascii_letters_digits_underscore_and_dash(string? id, bool valid)
        => Assert.Equal(valid, RefundRequestRules.IsPingppOrderId(id));

    [Fact]
    public void Order_id_may_be_64_characters_but_not_65()
    {
        Assert.True(RefundRequestRules.IsPingppOrderId(new string('1', 64)));
        Assert.False(RefundRequestRules.IsPingppOrderId(new string('1', 65)));
    }
}
