using Refunds.Core.Refunds;

namespace Refunds.Core.UnitTests.Refunds;

public class AnomalyRefundRequestIdsTests
{
    [Theory]
    [InlineData(AnomalyKind.PaidAfterCancel, "anomaly-2011708070000007521-paid-after-cancel")]
    [InlineData(AnomalyKind.Overpaid, "anomaly-2011708070000007521-overpaid")]
    public void Id_is_derived_from_order_and_kind(AnomalyKind kind, string expected)
    {
        Assert.Equal(expected, AnomalyRefundRequestIds.For("2011708070000007521", kind));
        Assert.Equal(AnomalyRefundRequestIds.For("2011708070000007521", kind), AnomalyRefundRequestIds.For("2011708070000007521", kind));
    }

    [Fact]
    public void Kinds_and_orders_never_share_an_id()
    {
        var ids = new[] { "2011708070000007521", "2011708070000007522" }
            .SelectMany(order => Enum.GetValues<AnomalyKind>().Select(kind => AnomalyRefundRequestIds.For(order, kind)))
            .ToList();

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData(AnomalyKind.PaidAfterCancel)]
    [InlineData(AnomalyKind.Overpaid)]
    public void Id_reads_back_to_order_and_kind(AnomalyKind kind)
    {
        var id = AnomalyRefundRequestIds.For("order_with-dash", kind);

        Assert.True(AnomalyRefundRequestIds.TryParse(id, out var orderId, out var parsedKind));
        Assert.Equal("order_with-dash", orderId);
        Assert.Equal(kind, parsedKind);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("rr-1")]
    [InlineData("anomaly-2011708070000007521-refunded")]
    [InlineData("anomaly--overpaid")]
    [InlineData("anomaly-20117/0807-overpaid")]
    public void Other_ids_are_not_anomaly_ids(string? id)
        => Assert.False(AnomalyRefundRequestIds.TryParse(id, out _, out _));

    [Fact]
    public void Id_of_the_longest_order_id_is_a_valid_request_id()
    {
        var id = AnomalyRefundRequestIds.For(new string('9', 64), AnomalyKind.PaidAfterCancel);

        Assert.Null(RefundRequestRules.RequestIdProblem(id));
        var parsed = RefundRequestParser.Parse($$"""{"request_id":"{{id}}","order_id":"{{new string('9', 64)}}","description":"d"}""", null);
        Assert.True(parsed.IsValid, string.Join("; ", parsed.Reasons));
    }

    [Fact]
    public void Order_id_that_is_not_a_ping_plus_plus_id_is_refused()
        => Assert.Throws<ArgumentException>(() => AnomalyRefundRequestIds.For("a/b", AnomalyKind.Overpaid));
}
