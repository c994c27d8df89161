using Refunds.Core.Pingpp;
using Refunds.Core.Webhooks;

namespace Refunds.Core.UnitTests.Webhooks;

public class PingppEventParserTests
{
    // The order.refunded example from the guide (pingpp-order-refunds-guide.txt), verbatim.
    internal const string GuideOrderRefunded = """
        { "id": "evt_401171222113755187074803", "created": 1513913873, "livemode": true, "type": "order.refunded", "data": { "object": { "id": "2001708140000017551", "object": "order", "created": 1513913809, "livemode": true, "paid": true, "refunded": true, "status": "refunded", "app": "app_1Gqj58ynP0mHeX1q", "uid": "0", "available_balance": 0, "merchant_order_no": "2017081400000006", "amount": 1, "actual_amount": 1, "amount_refunded": 1, "amount_paid": 1, "coupon_amount": 0, "currency": "cny", "subject": "Your Subject", "body": "Your Body", "client_ip": "192.168.1.1", "time_paid": 1513913854, "time_expire": 1514000209, "coupon": null, "description": null, "metadata": {}, "charge_essentials": { "channel": "alipay_qr", "transaction_no": "201712222100100888", "failure_code": null, "failure_msg": null, "extra": { "buyer_user_id": "2088902388888888", "fund_bill_list": [{ "amount": 1, "fundChannel": "COUPON" }], "buyer_account": "133****3333" }, "credential": {} }, "receipt_app": "app_1Gqj58ynP0mHeX1q", "service_app": "app_1Gqj58ynP0mHeX1q", "available_methods": [], "charges": { "object": "list", "url": "/v1/charges", "has_more": false, "data": [{ "id": "ch_1Kyn50DyjXbHbvnv5SGK4qDK", "object": "charge", "created": 1513913827, "livemode": true, "paid": true, "refunded": true, "reversed": false, "app": "app_1Gqj58ynP0mHeX1q", "channel": "alipay_qr", "order_no": "2017081400000006", "client_ip": "192.168.1.1", "amount": 1, "amount_settle": 1, "currency": "cny", "subject": "Your Subject", "body": "Your Body", "extra": { "buyer_user_id": "2088902388888888", "fund_bill_list": [{ "amount": 1, "fundChannel": "COUPON" }], "buyer_account": "133****3333" }, "time_paid": 1513913854, "time_expire": 1514000209, "time_settle": null, "transaction_no": "201712222100100888", "refunds": null, "amount_refunded": 0, "failure_code": null, "failure_msg": null, "metadata": {}, "credential": {}, "description": null }] } } }, "object": "event", "request": "iar_C8KOu5HOmD8CbzbXrPqv1y9S", "pending_webhooks": 0}
        """;

    internal static string RefundSucceeded(string eventId = "evt_refund1", string metadata = """{"refund_request_id":"req_1","batch":7,"vip":true}""") => $$$$"""
        {"id":"{{{{eventId}}}}","created":1700000100,"livemode":true,"type":"refund.succeeded","data":{"object":{"id":"re_vjz1a1DCufb5n9erLK48SGC0","object":"refund","order_no":"2111609290000001601","amount":300,"created":1700000000,"succeed":true,"status":"succeeded","time_succeed":1700000090,"description":"退款","failure_code":null,"failure_msg":null,"metadata":{{{{metadata}}}},"charge":"ch_L8qn10mLmr1GS8e5OODmHaL4","charge_order_no":"123456789","transaction_no":"4200000001","funding_source":null,"extra":{}}},"object":"event","request":"iar_x","pending_webhooks":1}
        """;

    private static PingppEvent Parse(byte[] bytes)
    {
        Assert.True(PingppEventParser.TryParse(bytes, out var parsed, out var reason), reason);
        return parsed;
    }

    [Fact]
    public void An_order_event_with_app_expanded_as_an_object_reads_its_id_on_the_order_and_its_charges()
    {
        var expanded = GuideOrderRefunded.Replace("\"app\": \"app_1Gqj58ynP0mHeX1q\"", "\"app\": {\"id\": \"app_1Gqj58ynP0mHeX1q\", \"object\": \"app\", \"name\": {\"zh\": \"x\"}}", StringComparison.Ordinal);
        Assert.NotEqual(GuideOrderRefunded, expanded);

        var order = Parse(System.Text.Encoding.UTF8.GetBytes(expanded)).Order!;

        Assert.Equal("app_1Gqj58ynP0mHeX1q", order.App);
        Assert.Equal("app_1Gqj58ynP0mHeX1q", Assert.Single(order.Charges!.Data).App);
    }

    [Fact]
    public void A_refund_event_with_php_empty_metadata_and_extra_has_no_metadata_and_no_channel_url()
    {
        var refund = Parse(System.Text.Encoding.UTF8.GetBytes(RefundSucceeded(metadata: "[]").Replace("\"extra\":{}", "\"extra\":[]", StringComparison.Ordinal))).Refund!;

        Assert.Empty(refund.Metadata!);
        Assert.Null(refund.RequestId);
        Assert.Null(refund.ChannelUrl);
    }

    [Fact]
    public void A_pending_refund_with_a_channel_url_in_extra_carries_it()
    {
        var json = RefundSucceeded().Replace("\"extra\":{}", "\"extra\":{\"url\":\"https://mapi.alipay.com/gateway.do?batch_no=1\"}", StringComparison.Ordinal);

        Assert.Equal("https://mapi.alipay.com/gateway.do?batch_no=1", Parse(System.Text.Encoding.UTF8.GetBytes(json)).Refund!.ChannelUrl);
    }

    [Fact]
    public void Vector1_is_a_live_charge_succeeded_event()
    {
        var e = Parse(VectorFiles.Bytes("webhook1_body.json"));
        Assert.Equal(("evt_eYa58Wd44Glerl8AgfYfd1sL", "charge.succeeded", true, 1434368075L), (e.Id, e.Type, e.Livemode, e.Created));
        Assert.Equal("iar_Xc2SGjrbdmT0eeKWeCsvLhbL", e.Request);
        Assert.Equal("charge", e.ObjectType);
        Assert.Equal("ch_bq9IHKnn6GnLzsS0swOujr4x", e.Charge!.Id);
        Assert.Equal(100, e.Charge.Amount);
        Assert.Equal("ch_bq9IHKnn6GnLzsS0swOujr4x", e.ChargeId);
        Assert.Null(e.Refund);
    }

    [Fact]
    public void Vector2_is_an_account_summary_with_no_typed_object()
    {
        var e = Parse(VectorFiles.Bytes("webhook2_body.json"));
        Assert.Equal(("evt_04qN8cXQvIhssduhS4hpqd9p", "account.summary.available", false), (e.Id, e.Type, e.Livemode));
        Assert.Equal("account_daily_summary", e.ObjectType);
        Assert.Null(e.Request);
        Assert.Equal(2, e.PendingWebhooks);
        Assert.Null(e.ObjectId);
        Assert.True(e.Refund is null && e.Order is null && e.Charge is null);
    }

    [Fact]
    public void Vector3_is_a_test_mode_charge_event()
    {
        var e = Parse(VectorFiles.Bytes("webhook3_body.json"));
        Assert.False(e.Livemode);
        Assert.Equal("ch_100240816592822384640019", e.Charge!.Id);
        Assert.Equal("wx_pub", e.Charge.Channel);
    }

    [Fact]
    public void Refund_event_carries_refund_fields_and_keeps_non_string_metadata_as_text()
    {
        var e = Parse(TestSigner.Utf8(RefundSucceeded()));
        var refund = e.Refund!;
        Assert.Equal("re_vjz1a1DCufb5n9erLK48SGC0", e.RefundId);
        Assert.Equal((300L, PingppRefundStatus.Succeeded, 1700000090L), (refund.Amount, refund.Status, refund.TimeSucceed!.Value));
        Assert.Equal("req_1", e.RequestId);
        Assert.Equal("7", refund.Metadata!["batch"]);
        Assert.Equal("true", refund.Metadata["vip"]);
        Assert.Equal("ch_L8qn10mLmr1GS8e5OODmHaL4", e.ChargeId);
        Assert.Equal("退款", refund.Description);
    }

    [Fact]
    public void Order_refunded_example_from_the_guide_parses()
    {
        var e = Parse(TestSigner.Utf8(GuideOrderRefunded));
        Assert.Equal("order.refunded", e.Type);
        Assert.Equal("2001708140000017551", e.OrderId);
        Assert.Equal((1L, 1L, "refunded"), (e.Order!.AmountRefunded, e.Order.AmountPaid, e.Order.Status));
        Assert.Equal("ch_1Kyn50DyjXbHbvnv5SGK4qDK", e.Order.Charges!.Data[0].Id);
    }

    [Theory]
    [InlineData("", "empty body")]
    [InlineData("not json", "body is not JSON")]
    [InlineData("[1,2]", "body is not a JSON object")]
    [InlineData("""{"id":"evt_1","object":"charge","type":"x","livemode":false,"data":{"object":{"object":"x"}}}""", "object is not \"event\"")]
    [InlineData("""{"object":"event","type":"x","livemode":false,"data":{"object":{"object":"x"}}}""", "event has no id")]
    [InlineData("""{"id":"evt/1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"x"}}}""", "event id is malformed")]
    [InlineData("""{"id":"evt_1","object":"event","livemode":false,"data":{"object":{"object":"x"}}}""", "event has no type")]
    [InlineData("""{"id":"evt_1","object":"event","type":"x","data":{"object":{"object":"x"}}}""", "event has no livemode")]
    [InlineData("""{"id":"evt_1","object":"event","type":"x","livemode":false}""", "event has no data.object")]
    [InlineData("""{"id":"evt_1","object":"event","type":"refund.succeeded","livemode":false,"data":{"object":{"object":"refund","amount":"x"}}}""", "data.object is not a valid refund")]
    public void Not_a_pingpp_event_gives_a_short_reason(string body, string expectedReason)
    {
        Assert.False(PingppEventParser.TryParse(TestSigner.Utf8(body), out _, out var reason));
        Assert.Equal(expectedReason, reason);
    }

    [Fact]
    public void Invalid_utf8_is_refused()
    {
        byte[] body = [.. TestSigner.Utf8("""{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"x","n":" """), 0xC3, 0x28, .. TestSigner.Utf8("\"}}}")];
        Assert.False(PingppEventParser.TryParse(body, out _, out var reason));
        Assert.Equal("body is not valid UTF-8", reason);
    }
}
