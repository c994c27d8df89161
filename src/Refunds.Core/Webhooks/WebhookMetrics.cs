using System.Diagnostics.Metrics;

namespace Refunds.Core.Webhooks;

/// <summary>Webhook counters on the <c>Refunds</c> meter.</summary>
public sealed class WebhookMetrics
{
    public const string MeterName = Configuration.RefundsMeter.Name;

    private readonly Counter<long> _verified;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _duplicate;
    private readonly Counter<long> _retryLater;
    private readonly Counter<long> _refused;

    public WebhookMetrics(IMeterFactory? meterFactory = null)
    {
        var meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _verified = meter.CreateCounter<long>("refunds.webhooks.verified", description: "Webhook deliveries whose signature verified (or unsigned test events allowed by configuration).");
        _rejected = meter.CreateCounter<long>("refunds.webhooks.rejected", description: "Webhook deliveries refused (bad signature, not an event, too large).");
        _duplicate = meter.CreateCounter<long>("refunds.webhooks.duplicate", description: "Webhook deliveries of an event already stored.");
        _refused = meter.CreateCounter<long>("refunds.webhooks.refused", description: "Verified webhook events refused as not for this deployment (other mode or Ping++ app): stored, never applied.");
        _retryLater = meter.CreateCounter<long>("refunds.webhooks.retry_later", description: "Webhook deliveries answered 500 so that Ping++ retries.");
    }

    public void Verified(string type) => _verified.Add(1, new KeyValuePair<string, object?>("type", type));

    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Duplicate(string type) => _duplicate.Add(1, new KeyValuePair<string, object?>("type", type));

    public void Refused(string type) => _refused.Add(1, new KeyValuePair<string, object?>("type", type));

    public void RetryLater(string stage) => _retryLater.Add(1, new KeyValuePair<string, object?>("stage", stage));
}
