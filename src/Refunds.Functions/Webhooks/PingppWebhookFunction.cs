using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Refunds.Core.Http;
using Refunds.Core.Webhooks;

namespace Refunds.Functions.Webhooks;

/// <summary>
/// Ping++ webhooks. Anonymous at the Functions level because Ping++ cannot send a function key: the RSA signature
/// in <c>X-Pingplusplus-Signature</c> is the authentication, checked by <see cref="WebhookReceiver"/> (fail closed).
/// </summary>
public sealed class PingppWebhookFunction(WebhookReceiver receiver)
{
    [Function("PingppWebhook")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "pingpp/webhooks")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var body = await BoundedBody.ReadAsync(request.Body, request.ContentLength, receiver.MaxBodyBytes, cancellationToken);

        var receipt = body.IsTooLarge
            ? receiver.RefuseTooLarge(body.BytesDeclaredOrSeen)
            : await receiver.ReceiveAsync(body.Bytes, request.Headers[WebhookSignatureVerifier.SignatureHeaderName], cancellationToken);

        return WebhookHttpResponse.For(receipt);
    }
}
