using Refunds.Functions.Tests.Webhooks;

namespace Refunds.EndToEndTests.Support;

/// <summary>A test-signed <c>refund.succeeded</c> delivery: the body bytes and the signature header Ping++ would send.</summary>
public sealed record SignedRefundEvent(string EventId, string RefundId, long Amount, string? RequestId, byte[] Body, string Signature)
{
    public static SignedRefundEvent Create(TestWebhookSigner signer, long amount, string? requestId = null)
    {
        var eventId = TestEvents.NewId("evt_");
        var refundId = TestEvents.NewId("re_");
        var body = TestEvents.Bytes(TestEvents.RefundSucceeded(eventId, refundId, amount, requestId: requestId));
        return new SignedRefundEvent(eventId, refundId, amount, requestId, body, signer.Sign(body));
    }
}
