using System.Security.Cryptography;
using System.Text;

namespace Refunds.IntegrationTests;

/// <summary>Signs bytes the way Ping++ signs webhooks (RSA-SHA256, PKCS#1 v1.5, base64) with a key made for the test.</summary>
internal sealed class TestSigner : IDisposable
{
    private readonly RSA _key = RSA.Create(2048);

    public string PublicKeyPem => _key.ExportSubjectPublicKeyInfoPem();

    public string Sign(byte[] body) => Convert.ToBase64String(_key.SignData(body, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public void Dispose() => _key.Dispose();
}

/// <summary>Ping++ event bodies for tests.</summary>
internal static class Events
{
    public static byte[] RefundSucceeded(string eventId, string refundId, string? requestId, long amount = 300, string status = "succeeded")
        => RefundEvent("refund.succeeded", eventId, refundId, requestId, amount, status, livemode: true);

    /// <summary>A refund event of any type (<c>refund.failed</c> carries a failure code and message).</summary>
    public static byte[] RefundEvent(string type, string eventId, string refundId, string? requestId, long amount = 300, string status = "succeeded", bool livemode = false)
        => Fill("""
            {"id":"EVENT_ID","created":1700000100,"livemode":LIVEMODE,"type":"TYPE","data":{"object":{"id":"REFUND_ID","object":"refund","order_no":"2111609290000001601","amount":AMOUNT,"created":1700000000,"succeed":SUCCEED,"status":"STATUS","time_succeed":TIME_SUCCEED,"description":"退款","failure_code":FAILURE_CODE,"failure_msg":FAILURE_MSG,"metadata":METADATA,"charge":"ch_L8qn10mLmr1GS8e5OODmHaL4","charge_order_no":"123456789","transaction_no":TRANSACTION_NO,"extra":{}}},"object":"event","request":"iar_x","pending_webhooks":1}
            """, ("EVENT_ID", eventId), ("TYPE", type), ("LIVEMODE", livemode ? "true" : "false"), ("REFUND_ID", refundId),
            ("AMOUNT", amount.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("STATUS", status),
            ("TIME_SUCCEED", status == "succeeded" ? "1700000090" : "null"), ("SUCCEED", status == "succeeded" ? "true" : "false"),
            ("FAILURE_CODE", status == "failed" ? "\"REFUND_BALANCE_NOT_ENOUGH\"" : "null"), ("FAILURE_MSG", status == "failed" ? "\"退款余额不足\"" : "null"),
            ("TRANSACTION_NO", status == "succeeded" ? "\"4200000001\"" : "null"),
            ("METADATA", requestId is null ? "{}" : "{\"refund_request_id\":\"" + requestId + "\"}"));

    public static byte[] Unknown(string eventId, bool livemode, int padding = 0)
        => Fill("""
            {"id":"EVENT_ID","created":1700000100,"livemode":LIVEMODE,"type":"summary.daily.available","data":{"object":{"object":"summary","note":"PADDING"}},"object":"event","request":null,"pending_webhooks":0}
            """, ("EVENT_ID", eventId), ("LIVEMODE", livemode ? "true" : "false"), ("PADDING", new string('x', padding)));

    public static byte[] OrderRefunded(string eventId, string orderId, long amountRefunded)
        => Fill("""
            {"id":"EVENT_ID","created":1513913873,"livemode":true,"type":"order.refunded","data":{"object":{"id":"ORDER_ID","object":"order","created":1513913809,"livemode":true,"paid":true,"refunded":true,"status":"refunded","amount":100,"actual_amount":100,"amount_refunded":AMOUNT,"amount_paid":100,"coupon_amount":0,"currency":"cny","metadata":{},"charges":{"object":"list","url":"/v1/charges","has_more":false,"data":[]}}},"object":"event","request":"iar_C8KOu5HOmD8CbzbXrPqv1y9S","pending_webhooks":0}
            """, ("EVENT_ID", eventId), ("ORDER_ID", orderId), ("AMOUNT", amountRefunded.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static byte[] Fill(string template, params (string Name, string Value)[] values)
    {
        foreach (var (name, value) in values)
        {
            template = template.Replace(name, value, StringComparison.Ordinal);
        }

        return Encoding.UTF8.GetBytes(template);
    }
}
