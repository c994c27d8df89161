namespace Refunds.Core.Refunds;

/// <summary>How a delivery of a refund request ended when it did not throw (the message is then completed).</summary>
public enum RefundProcessingOutcome
{
    /// <summary>Ping++ created the refund(s) now; the request is Submitted (or already settled).</summary>
    Created,

    /// <summary>An earlier attempt had created them: found in Ping++'s list by our request id and recorded.</summary>
    Adopted,

    /// <summary>Ping++ rejected the request (definite 4xx): Failed with Ping++'s code and message.</summary>
    FailedAtPingpp,

    /// <summary>The message was invalid: Rejected with its reasons and raw text (or noted on the valid request with its id).</summary>
    Rejected,

    /// <summary>The request id is taken by a request with different parameters: not performed, noted on the existing record.</summary>
    Conflict,

    /// <summary>Already Submitted, terminal or dead-lettered: nothing sent.</summary>
    AlreadyHandled,

    /// <summary>A create may have reached Ping++ and the order's refunds cannot tell which is ours: parked (NeedsReview), nothing sent.</summary>
    NeedsReview,

    /// <summary>Over an approval limit: held (AwaitingApproval) for an operator, nothing sent; approval enqueues it again.</summary>
    AwaitingApproval,
}
