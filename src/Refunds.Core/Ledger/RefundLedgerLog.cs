using Microsoft.Extensions.Logging;

namespace Refunds.Core.Ledger;

public sealed partial class RefundLedger
{
    internal static partial class Log
    {
        [LoggerMessage(2001, LogLevel.Information, "Refund request {RequestId} recorded for order {OrderId}")]
        public static partial void RequestCreated(ILogger logger, string requestId, string orderId);

        [LoggerMessage(2002, LogLevel.Information, "Refund request {RequestId} of order {OrderId} claimed for submission, attempt {Attempt}")]
        public static partial void RequestClaimed(ILogger logger, string requestId, string? orderId, int attempt);

        [LoggerMessage(2003, LogLevel.Information, "Refund request {RequestId} of order {OrderId} moved {From} -> {To}")]
        public static partial void RequestMoved(ILogger logger, string requestId, string? orderId, string from, string to);

        [LoggerMessage(2004, LogLevel.Warning, "Refund request {RequestId} of order {OrderId}: move {From} -> {To} refused by the state machine")]
        public static partial void MoveRefused(ILogger logger, string requestId, string? orderId, string from, string to);

        [LoggerMessage(2005, LogLevel.Warning, "Refund request {RequestId} rejected (order {OrderId}), {ReasonCount} reasons")]
        public static partial void RequestRejected(ILogger logger, string requestId, string? orderId, int reasonCount);

        [LoggerMessage(2006, LogLevel.Information, "Refund {RefundId} (order {OrderId}, request {RequestId}) is {Status}: {Outcome}")]
        public static partial void RefundApplied(ILogger logger, string refundId, string? orderId, string? requestId, string status, string outcome);

        [LoggerMessage(2007, LogLevel.Error, "Refund {RefundId} of order {OrderId} reported {Reported} but the ledger has {Kept}; kept, order marked for reconciliation")]
        public static partial void RefundStatusConflict(ILogger logger, string refundId, string? orderId, string reported, string kept);

        [LoggerMessage(2008, LogLevel.Warning, "Refund request {RequestId} of order {OrderId} stays {State} although its refunds say {Implied}")]
        public static partial void RequestStateKept(ILogger logger, string requestId, string? orderId, string state, string implied);

        [LoggerMessage(2012, LogLevel.Warning, "Refund request {RequestId} of order {OrderId} was {State}, but its own refunds say {Implied}: moved to {Implied}")]
        public static partial void RequestLifted(ILogger logger, string requestId, string? orderId, string state, string implied);

        [LoggerMessage(2013, LogLevel.Information, "Refund request {RequestId} of order {OrderId} waits: request {Holder} of the same order has a create whose outcome is unknown")]
        public static partial void CreateLockHeld(ILogger logger, string requestId, string? orderId, string holder);

        [LoggerMessage(2014, LogLevel.Warning, "Refund {RefundId} not linked to request {RequestId} of order {OrderId}: {Reason}")]
        public static partial void RefundLinkRefused(ILogger logger, string refundId, string requestId, string orderId, string reason);

        [LoggerMessage(2009, LogLevel.Information, "Order {OrderId} marked for reconciliation: {Reason}")]
        public static partial void OrderMarked(ILogger logger, string orderId, string reason);

        [LoggerMessage(2011, LogLevel.Information, "Refund request {RequestId} of order {OrderId} replaces its earlier validation rejection ({ReasonCount} reasons)")]
        public static partial void RejectionReplaced(ILogger logger, string requestId, string orderId, int reasonCount);

        [LoggerMessage(2015, LogLevel.Warning, "Refund request {RequestId} of order {OrderId} held for approval ({Reasons}, amount {Amount} fen): nothing is sent until an operator approves")]
        public static partial void RequestHeld(ILogger logger, string requestId, string orderId, string reasons, long? amount);

        [LoggerMessage(2016, LogLevel.Information, "Operator {Actor} moved refund request {RequestId} of order {OrderId} {From} -> {To} ({Move}): {Reason}")]
        public static partial void OperatorMoved(ILogger logger, string actor, string requestId, string? orderId, string from, string to, string move, string? reason);

        [LoggerMessage(2010, LogLevel.Debug, "No open work left in ledger partition {LedgerKey}")]
        public static partial void OpenWorkClosed(ILogger logger, string ledgerKey);
    }
}
