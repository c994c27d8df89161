using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;

namespace Refunds.Core.Operations;

/// <summary>
/// The amount a request will refund, for the approval limits: its <c>charge_amount</c> when given. A request for the
/// whole order (or a whole charge) refunds what remains refundable, read from Ping++'s order (a GET, retried by the
/// client; nothing is changed at Ping++): the named charge's amount less what it refunded, else the order's amount
/// paid less what it refunded. An upper bound: pending refunds are not subtracted, so the limit errs towards holding.
/// Null when it cannot be known (Ping++ unreachable, order unknown, nothing left): the gate then holds the request.
/// </summary>
public sealed partial class RefundAmountResolver(IServiceScopeFactory scopes, ILogger<RefundAmountResolver> logger)
{
    public async Task<long?> ResolveAsync(RefundRequestRecord request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ChargeAmount is { } amount)
        {
            return amount;
        }

        if (request.OrderId is not { } orderId)
        {
            return null;
        }

        PingppOrder order;
        try
        {
            // A scope per look-up: the Ping++ client is a typed HttpClient (transient), the gate a singleton.
            using var scope = scopes.CreateScope();
            order = await scope.ServiceProvider.GetRequiredService<PingppClient>().RetrieveOrderAsync(orderId, ct).ConfigureAwait(false);
        }
        catch (PingppException e)
        {
            LogUnknown(logger, e, request.RequestId, orderId, e.Kind.ToString(), e.StatusCode);
            return null;
        }

        var remaining = request.Charge is { } chargeId && order.Charges?.Data.FirstOrDefault(c => c.Id == chargeId) is { } charge
            ? charge.Amount - charge.AmountRefunded
            : order.AmountPaid - order.AmountRefunded;
        return remaining > 0 ? remaining : null;
    }

    [LoggerMessage(3401, LogLevel.Warning, "The amount of refund request {RequestId} (whole order {OrderId}) could not be read from Ping++ ({Kind}, {StatusCode}): it waits for approval")]
    private static partial void LogUnknown(ILogger logger, Exception exception, string requestId, string orderId, string kind, int? statusCode);
}
