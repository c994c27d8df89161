namespace Refunds.Core.Refunds;

/// <summary>
/// The request cannot be finished now and nothing is lost by trying again: the queue function lets it propagate so
/// the message becomes visible again after host.json's <c>visibilityTimeout</c> (and goes to the poison queue after
/// <c>maxDequeueCount</c> attempts). The message says why, without secrets.
/// </summary>
public sealed class RefundRetryLaterException(string requestId, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    public string RequestId { get; } = requestId;
}
