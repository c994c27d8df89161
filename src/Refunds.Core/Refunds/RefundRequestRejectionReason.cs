namespace Refunds.Core.Refunds;

/// <summary>
/// One reason a refund request was rejected. <see cref="Field"/> is the JSON path of the offending part
/// (<c>order_id</c>, <c>royalty_users[1].user</c>, <c>metadata.note</c>), <c>message</c> for the message as a whole,
/// or <c>Idempotency-Key</c> for the HTTP header.
/// </summary>
public sealed record RefundRequestRejectionReason(string Field, string Reason)
{
    public override string ToString() => $"{Field}: {Reason}";
}
