using System.Text;
using Refunds.Core.Refunds;
using static Refunds.Core.UnitTests.Refunds.RefundRequestMessages;

namespace Refunds.Core.UnitTests.Refunds;

public class RefundRequestHttpTests
{
    private static readonly string Body = With(("order_id", null), ("request_id", null));

    private static RefundRequestParseResult Http(string body, string routeOrderId = OrderId, string? key = null)
        => RefundRequestParser.ParseHttp(Encoding.UTF8.GetBytes(body), routeOrderId, key);

    [Fact]
    public void Order_id_comes_from_the_route()
    {
        var result = Http(Body, key: "key-1");

        Assert.True(result.IsValid, string.Join("; ", result.Reasons));
        Assert.Equal(OrderId, result.Request.OrderId);
        Assert.Equal(RefundRequestParser.Parse(With(("request_id", "\"key-1\"")), null).Request, result.Request);
    }

    [Fact]
    public void Body_order_id_equal_to_the_route_is_accepted()
        => Assert.True(Http(With(("request_id", null)), key: "key-1").IsValid);

    [Fact]
    public void Body_order_id_that_differs_from_the_route_is_rejected()
    {
        var result = Http(With(("order_id", "\"2011708070000009999\""), ("request_id", null)), key: "key-1");

        var reason = Assert.Single(result.Reasons);
        Assert.Equal("order_id", reason.Field);
        Assert.Contains("differs from the order id in the path", reason.Reason, StringComparison.Ordinal);
        Assert.Equal(OrderId, result.OrderId);
    }

    [Fact]
    public void Route_order_id_is_checked_by_the_same_rules()
    {
        var result = Http(Body, routeOrderId: "20117080 7", key: "key-1");

        var reason = Assert.Single(result.Reasons);
        Assert.Equal("order_id", reason.Field);
        Assert.Contains("is not a Ping++ order id", reason.Reason, StringComparison.Ordinal);
        Assert.Null(result.OrderId);
    }

    [Fact]
    public void Request_id_comes_from_the_body_first()
        => Assert.Equal("body-1", Http(With(("order_id", null), ("request_id", "\"body-1\""))).Request!.RequestId);

    [Fact]
    public void Request_id_comes_from_the_idempotency_key_header_when_the_body_has_none()
        => Assert.Equal("key-7", Http(Body, key: "key-7").Request!.RequestId);

    [Fact]
    public void Body_and_header_with_the_same_id_are_accepted()
        => Assert.Equal("same", Http(With(("order_id", null), ("request_id", "\"same\"")), key: "same").Request!.RequestId);

    [Fact]
    public void Body_and_header_ids_that_differ_are_rejected()
    {
        var result = Http(With(("order_id", null), ("request_id", "\"body-1\"")), key: "key-1");

        var reason = Assert.Single(result.Reasons);
        Assert.Equal("request_id", reason.Field);
        Assert.Contains("differs from the Idempotency-Key header", reason.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_idempotency_key_is_reported_under_the_header_name_once()
    {
        var result = Http(Body, key: "a/b");

        var reason = Assert.Single(result.Reasons);
        Assert.Equal(("Idempotency-Key", "must not contain '/' (not allowed in Table Storage keys)"), (reason.Field, reason.Reason));
        Assert.Null(result.RequestId);
    }

    [Fact]
    public void Without_body_id_or_header_the_request_is_rejected_naming_both()
    {
        var result = Http(Body);

        Assert.False(result.IsValid);
        var reason = Assert.Single(result.Reasons);
        Assert.Equal("request_id", reason.Field);
        Assert.Contains("request_id in the body or an Idempotency-Key header", reason.Reason, StringComparison.Ordinal);
        Assert.Null(result.RequestId);
    }

    [Fact]
    public void Http_body_follows_the_same_rules_as_queue_messages()
    {
        var result = Http(With(("order_id", null), ("request_id", null), ("charge_ammount", "5"), ("description", "\" \"")), key: "k");

        Assert.Equal(["charge_ammount", "description"], result.Reasons.Select(r => r.Field).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Http_body_must_be_plain_json_not_base64()
    {
        var reason = Assert.Single(Http(Base64(Body), key: "k").Reasons);

        Assert.Equal(("message", "is not JSON"), (reason.Field, reason.Reason));
    }

    [Fact]
    public void Oversized_http_body_is_rejected_before_parsing()
    {
        var body = Body + new string(' ', RefundRequestRules.MaxMessageBytes + 1 - Encoding.UTF8.GetByteCount(Body));

        var reason = Assert.Single(Http(body, key: "k").Reasons);

        Assert.Equal("message", reason.Field);
        Assert.StartsWith("is 65537 bytes", reason.Reason, StringComparison.Ordinal);
    }
}
