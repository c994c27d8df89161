using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;

namespace Refunds.Core.UnitTests.Ledger;

public sealed class RequestLinkCheckTests
{
    private const string Order = "2011609290000002401";

    private static readonly RefundRequestRecord Sent = new()
    {
        RequestId = "r1",
        OrderId = Order,
        Charge = "ch_a",
        Attempt = 1,
        LastSendStartedAt = new DateTimeOffset(2026, 12, 6, 8, 0, 0, TimeSpan.Zero),
    };

    private static PingppRefund Refund(string? charge = "ch_a") => new()
    {
        Id = "re_1",
        Charge = charge,
        Metadata = new Dictionary<string, string> { [PingppMetadata.RequestId] = "r1" },
    };

    public static TheoryData<string, string?> Refusals => new()
    {
        { "listed under another order", "lists it under order 2011609290000009999" },
        { "request row missing", "record is missing" },
        { "never claimed", "never sent to Ping++ (state Received)" },
        { "another charge", "refunds charge ch_b and the request asked for charge ch_a" },
        { "same order, sent, same charge", null },
        { "sent by an older version (claimed, no write-ahead)", null },
        { "request without a charge: any charge of its order", null },
        { "refund without a charge", null },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_marker_links_only_a_refund_that_can_be_the_requests(string situation, string? expected)
    {
        var (refund, request, refundOrder) = situation switch
        {
            "listed under another order" => (Refund(), Sent, "2011609290000009999"),
            "request row missing" => (Refund(), (RefundRequestRecord?)null, (string?)null),
            "never claimed" => (Refund(), Sent with { Attempt = 0, LastSendStartedAt = null }, null),
            "another charge" => (Refund("ch_b"), Sent, null),
            "same order, sent, same charge" => (Refund(), Sent, Order),
            "sent by an older version (claimed, no write-ahead)" => (Refund(), Sent with { LastSendStartedAt = null }, null),
            "request without a charge: any charge of its order" => (Refund("ch_b"), Sent with { Charge = null }, null),
            "refund without a charge" => (Refund(null), Sent, null),
            _ => throw new ArgumentOutOfRangeException(nameof(situation)),
        };

        var why = RequestLinkCheck.WhyNotLinked(refund, request, Order, refundOrder);

        if (expected is null)
        {
            Assert.Null(why);
        }
        else
        {
            Assert.NotNull(why);
            Assert.Contains(expected, why, StringComparison.Ordinal);
            Assert.StartsWith("refund re_1 names request r1 of order " + Order, why, StringComparison.Ordinal);
        }
    }
}
