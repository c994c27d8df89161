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

    /// <summary>received, submitting, submitted, succeeded, failed, rejected, dead_lettered.</summary>
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

    /// <summary>Operator actions on it (requeue): what, by whom, when.</summary>
    public IReadOnlyList<OperatorAction>? OperatorActions { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public static RefundRequestView From(RefundRequestRecord r, IEnumerable<RefundRecord> refundsOfOrder)
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
            OperatorActions = r.OperatorActions.Count == 0 ? null : r.OperatorActions,
            CreatedAt = r.CreatedAt,
            UpdatedAt = r.UpdatedAt,
        };
    }
}

/// <summary>An order as the HTTP API shows it: its requests and every refund the ledger knows (ours and external).</summary>
public sealed record OrderRefundsView(string OrderId, IReadOnlyList<RefundRequestView> Requests, IReadOnlyList<RefundView> Refunds)
{
    public static OrderRefundsView From(OrderLedger order) => new(
        order.OrderId,
        [.. order.Requests.OrderBy(r => r.CreatedAt).Select(r => RefundRequestView.From(r, order.Refunds))],
        [.. order.Refunds.OrderBy(r => r.FirstSeenAt).Select(RefundView.From)]);
}
