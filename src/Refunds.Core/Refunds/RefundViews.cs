using System.Text.Json.Serialization;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;

namespace Refunds.Core.Refunds;

/// <summary>A Ping++ refund as the HTTP API shows it (snake_case via <see cref="PingppJson.Options"/>).</summary>
public sealed record RefundView
{
    public required string Id { get; init; }
    public string? OrderId { get; init; }
    public string? RequestId { get; init; }
    public string? Charge { get; init; }
    public long Amount { get; init; }
    public PingppRefundStatus Status { get; init; }
    public string? FailureCode { get; init; }
    public string? FailureMessage { get; init; }
    public DateTimeOffset? TimeSucceed { get; init; }
    public string? TransactionNo { get; init; }
    public bool External { get; init; }

    /// <summary>A pending refund's channel page to confirm it at (<c>extra.url</c>), e.g. Alipay's confirm-by-password.</summary>
    public string? ChannelUrl { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public static RefundView From(RefundRecord r) => new()
    {
        Id = r.RefundId,
        OrderId = r.OrderId,
        RequestId = r.RequestId,
        Charge = r.ChargeId,
        Amount = r.Amount,
        Status = r.Status,
        FailureCode = r.FailureCode,
        FailureMessage = r.FailureMessage,
        TimeSucceed = r.TimeSucceed,
        TransactionNo = r.TransactionNo,
        External = r.External,
        ChannelUrl = r.ChannelUrl,
        CreatedAt = r.CreatedAt,
        UpdatedAt = r.UpdatedAt,
    };
}

/// <summary>A refund request as the HTTP API shows it: parameters, state, Ping++ refunds, failure or rejection, timestamps.</summary>
public sealed record RefundRequestView
{
    public required string RequestId { get; init; }
    public string? OrderId { get; init; }

    /// <summary>received, submitting, submitted, succeeded, failed, rejected, dead_lettered, needs_review, awaiting_approval, canceled.</summary>
    public RefundRequestState Status { get; init; }

    public string? Description { get; init; }
    public string? Charge { get; init; }
    public long? ChargeAmount { get; init; }
    public string? RefundMode { get; init; }
    public string? FundingSource { get; init; }

    /// <summary>Sum of the Ping++ refunds' amounts (what Ping++ decided to refund).</summary>
    public long AmountRefunded { get; init; }

    public IReadOnlyList<string> RefundIds { get; init; } = [];
    public IReadOnlyList<RefundView> Refunds { get; init; } = [];
    public string? FailureCode { get; init; }
    public string? FailureMessage { get; init; }
    public IReadOnlyList<string>? RejectionReasons { get; init; }
    public string? LastError { get; init; }
    public int Attempts { get; init; }

    /// <summary>Who submitted it over HTTP: <c>entra:&lt;object id&gt;</c> or <c>key:&lt;key name&gt;</c>.</summary>
    public string? SubmittedBy { get; init; }

    /// <summary>Why it waits (or waited) for approval and the decision; absent when no limit held it.</summary>
    public ApprovalView? Approval { get; init; }

    /// <summary>Every state change, oldest first (the single-request operator view only; absent in order listings).</summary>
    public IReadOnlyList<HistoryEntryView>? History { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public static RefundRequestView From(RefundRequestRecord r, IEnumerable<RefundRecord> refundsOfOrder, IEnumerable<RequestHistoryEntry>? history = null)
    {
        var refunds = refundsOfOrder.Where(f => r.RefundIds.Contains(f.RefundId)).Select(RefundView.From).ToList();
        return new RefundRequestView
        {
            RequestId = r.RequestId,
            OrderId = r.OrderId,
            Status = r.State,
            Description = r.Description,
            Charge = r.Charge,
            ChargeAmount = r.ChargeAmount,
            RefundMode = r.RefundMode,
            FundingSource = r.FundingSource,
            AmountRefunded = refunds.Sum(f => f.Amount),
            RefundIds = r.RefundIds,
            Refunds = refunds,
            FailureCode = r.FailureCode,
            FailureMessage = r.FailureMessage,
            RejectionReasons = r.RejectionReasons.Count == 0 ? null : r.RejectionReasons,
            LastError = r.LastError,
            Attempts = r.Attempt,
            SubmittedBy = r.SubmittedBy,
            Approval = r.Approval is null ? null : ApprovalView.From(r.Approval),
            History = history?.Select(HistoryEntryView.Of).ToList(),
            CreatedAt = r.CreatedAt,
            UpdatedAt = r.UpdatedAt,
        };
    }
}

/// <summary>One history entry: when, from (null for the first) and to which state, who and why.</summary>
public sealed record HistoryEntryView(
    DateTimeOffset At,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] RefundRequestState? From,
    RefundRequestState To,
    string Actor,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Reason)
{
    public static HistoryEntryView Of(RequestHistoryEntry h) => new(h.At, h.From, h.To, h.Actor, h.Reason);
}

/// <summary>
/// The approval of a request held by a limit: <c>reasons</c> (<c>per_request_limit</c>, <c>daily_limit</c>,
/// <c>amount_unknown</c>), the amount judged, and the decision (<c>approved</c>, <c>denied</c>, <c>canceled</c>) once taken.
/// </summary>
public sealed record ApprovalView
{
    public bool Required { get; init; } = true;
    public IReadOnlyList<string> Reasons { get; init; } = [];
    public long? Amount { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Decision { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? DecidedBy { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public DateTimeOffset? DecidedAt { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Reason { get; init; }

    public static ApprovalView From(RequestApproval a) => new()
    {
        Reasons = a.Reasons,
        Amount = a.Amount,
        Decision = a.Decision,
        DecidedBy = a.DecidedBy,
        DecidedAt = a.DecidedAt,
        Reason = a.Reason,
    };
}

/// <summary>An order as the HTTP API shows it: its requests and every refund the ledger knows (ours and external).</summary>
public sealed record OrderRefundsView(string OrderId, IReadOnlyList<RefundRequestView> Requests, IReadOnlyList<RefundView> Refunds)
{
    public static OrderRefundsView From(OrderLedger order) => new(
        order.OrderId,
        [.. order.Requests.OrderBy(r => r.CreatedAt).Select(r => RefundRequestView.From(r, order.Refunds))],
        [.. order.Refunds.OrderBy(r => r.FirstSeenAt).Select(RefundView.From)]);
}
