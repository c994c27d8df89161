namespace Refunds.Core.Webhooks;

/// <summary>What the receiver did with a delivery; <see cref="WebhookReceipt.StatusCode"/> is the HTTP answer.</summary>
public enum WebhookOutcome
{
    /// <summary>401: signature missing, malformed or wrong. Nothing stored.</summary>
    Unauthorized,

    /// <summary>400: verified, but not a Ping++ event (reason given). Nothing stored.</summary>
    BadRequest,

    /// <summary>413: body larger than configured. Nothing stored.</summary>
    PayloadTooLarge,

    /// <summary>200: stored; the type needs no ledger change (unknown or informational type).</summary>
    Stored,

    /// <summary>200: stored (or found stored but unapplied) and applied.</summary>
    Applied,

    /// <summary>200: already stored and applied; nothing changed.</summary>
    Duplicate,

    /// <summary>
    /// 200: verified but not for this deployment (the other mode, another Ping++ app): stored with the reason, never
    /// applied, acknowledged so that Ping++ stops retrying. Counted as <c>refunds.webhooks.refused</c>.
    /// </summary>
    Refused,

    /// <summary>500: storage, ledger or observer failed; Ping++ will redeliver.</summary>
    RetryLater,
}

/// <summary>Result of <see cref="WebhookReceiver.ReceiveAsync"/>.</summary>
public sealed record WebhookReceipt(WebhookOutcome Outcome, string? Reason = null, string? EventId = null, string? EventType = null)
{
    /// <summary>Whether applying this delivery changed the ledger (false for duplicates and no-op replays).</summary>
    public bool LedgerChanged { get; init; }

    /// <summary>True when this delivery found the event already stored.</summary>
    public bool WasDuplicate { get; init; }

    public int StatusCode => Outcome switch
    {
        WebhookOutcome.Unauthorized => 401,
        WebhookOutcome.BadRequest => 400,
        WebhookOutcome.PayloadTooLarge => 413,
        WebhookOutcome.RetryLater => 500,
        _ => 200,
    };
}
