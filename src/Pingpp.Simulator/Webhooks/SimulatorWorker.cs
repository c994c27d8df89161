using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using Pingpp.Simulator.State;

namespace Pingpp.Simulator.Webhooks;

/// <summary>Background work: settles due refunds and POSTs due webhook deliveries, every <see cref="SimulatorOptions.WorkerInterval"/>.</summary>
public sealed partial class SimulatorWorker(
    IOptions<SimulatorOptions> options, TimeProvider time, SimulatorLedger ledger, WebhookOutbox outbox, ILogger<SimulatorWorker> logger)
    : BackgroundService
{
    private readonly SimulatorOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var http = new HttpClient { Timeout = _options.WebhookTimeout };
        var inFlight = new List<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                ledger.Settle(force: false);
                foreach (var evt in outbox.TakeDue())
                {
                    inFlight.Add(DeliverAsync(http, evt, stoppingToken));
                }
                inFlight.RemoveAll(t => t.IsCompleted);
                await Task.Delay(_options.WorkerInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
        await Task.WhenAll(inFlight).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task DeliverAsync(HttpClient http, SimEvent evt, CancellationToken ct)
    {
        await Task.Yield();
        DeliveryAttempt attempt;
        try
        {
            using var content = new ByteArrayContent(evt.Body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            using var request = new HttpRequestMessage(HttpMethod.Post, _options.WebhookUrl) { Content = content };
            request.Headers.TryAddWithoutValidation("X-Pingplusplus-Signature", evt.Signature);
            using var response = await http.SendAsync(request, ct);
            attempt = new DeliveryAttempt(time.GetUtcNow(), (int)response.StatusCode, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            attempt = new DeliveryAttempt(time.GetUtcNow(), null, ex is TaskCanceledException ? "timeout" : ex.Message);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        LogDelivery(evt.Id, evt.Type, attempt.StatusCode, attempt.Error);
        outbox.Complete(evt, attempt);
    }

    [LoggerMessage(10, LogLevel.Information, "Webhook {EventId} ({EventType}) delivered: status {StatusCode} {Error}")]
    private partial void LogDelivery(string eventId, string eventType, int? statusCode, string? error);
}
