namespace Refunds.Core.Webhooks;

/// <summary>
/// Hook for payment events (<c>order.succeeded</c>, <c>charge.succeeded</c>): the abnormal-payment check (paid after
/// cancellation, paid twice) implements it. Called after the event is stored; may be called more than once per event
/// (redeliveries), so implementations must be idempotent. Throwing makes the receiver answer 500 so Ping++ retries.
/// </summary>
public interface IPaymentEventObserver
{
    Task OnOrderPaymentEventAsync(PingppEvent pingppEvent, CancellationToken cancellationToken);
}

/// <summary>Default observer until the abnormal-payment check is registered: does nothing.</summary>
public sealed class NoOpPaymentEventObserver : IPaymentEventObserver
{
    public Task OnOrderPaymentEventAsync(PingppEvent pingppEvent, CancellationToken cancellationToken) => Task.CompletedTask;
}
