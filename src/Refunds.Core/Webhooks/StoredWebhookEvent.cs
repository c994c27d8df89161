namespace Refunds.Core.Webhooks;

/// <summary>A verified Ping++ event as kept in <see cref="WebhookEventStore"/>: the raw bytes plus what was read from them.</summary>
public sealed record StoredWebhookEvent
{
    public required string EventId { get; init; }
    public required string Type { get; init; }
    public bool Livemode { get; init; }
    public long Created { get; init; }

    /// <summary>The request body exactly as received; the stored signature verifies against these bytes.</summary>
    public required ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The <c>X-Pingplusplus-Signature</c> value; null for an unsigned test event accepted by configuration.</summary>
    public string? SignatureHeader { get; init; }

    public DateTimeOffset ReceivedAt { get; init; }
    public string? RefundId { get; init; }
    public string? ChargeId { get; init; }
    public string? OrderId { get; init; }
    public string? RequestId { get; init; }

    /// <summary>True once the event's effect on the ledger (or observer) is done; a redelivery of an unapplied event applies it.</summary>
    public bool Applied { get; init; }

    public DateTimeOffset? AppliedAt { get; init; }

    /// <summary>
    /// What the event was applied as (<see cref="WebhookEventStore.AppliedAsRefund"/>, …); null for an event stored
    /// by a version that did not record it. A refund event marked applied without <c>refund</c> here was never applied
    /// to the ledger (older versions stored unknown types as applied): its next delivery applies it.
    /// </summary>
    public string? AppliedAs { get; init; }

    /// <summary>Why the event was verified but refused (other mode, other app); such an event is never applied.</summary>
    public string? RefusedReason { get; init; }
}

/// <summary>Result of <see cref="WebhookEventStore.AddAsync"/>: whether this call stored the event, and the stored copy.</summary>
public sealed record WebhookEventAddResult(bool Added, StoredWebhookEvent Stored);
