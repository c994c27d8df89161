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

public class RefundRequestTextRulesTests
{
    private static readonly RefundRequest Valid = new()
    {
        RequestId = "rr-text-1",
        OrderId = "2011708070000007521",
        Description = "顾客退货 🙂",
        Charge = "ch_eDaTe9OG0qPOz14S4KWH80eP",
        ChargeAmount = 100,
    };

    [Theory]
    [InlineData("a|b")]
    [InlineData("a~b")]
    [InlineData("a b")]
    [InlineData("a\tb")]
    [InlineData("a\u00A0b")]
    [InlineData("a\u0001b")]
    [InlineData("a/b")]
    [InlineData("a#b")]
    public void A_request_id_the_ledger_cannot_key_is_refused_with_a_reason(string requestId)
    {
        var reason = Assert.Single(RefundRequestRules.Validate(Valid with { RequestId = requestId }));

        Assert.Equal("request_id", reason.Field);
        Assert.StartsWith("must not contain", reason.Reason, StringComparison.Ordinal);
        Assert.False(global::Refunds.Core.Storage.TableKeys.IsValidId(requestId));
    }

    [Fact]
    public void Every_request_id_the_rules_accept_is_a_usable_table_key()
    {
        var random = new Random(2026_12_05);
        var alphabet = "aZ09-_.:@|~ /\\#?\t\u0000\u007F\u0085\u00A0\u2028订单é".ToCharArray();
        for (var i = 0; i < 20_000; i++)
        {
            var id = new string([.. Enumerable.Range(0, random.Next(1, 12)).Select(_ => alphabet[random.Next(alphabet.Length)])]);

            Assert.Equal(RefundRequestRules.RequestIdProblem(id) is null, global::Refunds.Core.Storage.TableKeys.IsValidId(id));
        }
    }

    [Theory]
    [InlineData("description", "退款\u202Eexe.txt")]
    [InlineData("description", "line one\nline two")]
    [InlineData("description", "bell\u0007")]
    [InlineData("description", "isolate \u2066x\u2069")]
    [InlineData("description", "lone <D800> surrogate")]
    [InlineData("metadata.note", "C1 \u0085 control")]
    [InlineData("metadata", "key")]
    [InlineData("royalty_users[0].user", "user\u202E")]
    public void Control_and_bidirectional_override_characters_are_refused_naming_the_field(string field, string text)
    {
        text = text.Replace("<D800>", "\uD800", StringComparison.Ordinal); // an attribute cannot carry a lone surrogate
        var request = field switch
        {
            "description" => Valid with { Description = text },
            "metadata.note" => Valid with { Metadata = new Dictionary<string, string> { ["note"] = text } },
            "metadata" => Valid with { Metadata = new Dictionary<string, string> { ["k\u202Eey"] = "v" } },
            _ => Valid with { RoyaltyUsers = [new RoyaltyUserRefund(text, 1)] },
        };

        var reason = Assert.Single(RefundRequestRules.Validate(request));

        Assert.Equal(field, reason.Field);
        Assert.Contains("U+", reason.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("\u202E", reason.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Royalty_users_are_bounded_in_count_and_id_length()
    {
        var many = Enumerable.Range(0, RefundRequestRules.MaxRoyaltyUsers + 1).Select(i => new RoyaltyUserRefund("u" + i, 1)).ToList();
        var longId = new RoyaltyUserRefund(new string('u', RefundRequestRules.MaxRoyaltyUserLength + 1), 1);

        Assert.Equal("royalty_users", Assert.Single(RefundRequestRules.Validate(Valid with { RoyaltyUsers = many })).Field);
        Assert.Equal("royalty_users[0].user", Assert.Single(RefundRequestRules.Validate(Valid with { RoyaltyUsers = [longId] })).Field);
        Assert.Empty(RefundRequestRules.Validate(Valid with { RoyaltyUsers = [.. many.Take(RefundRequestRules.MaxRoyaltyUsers)] }));
    }
}
