using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Pingpp.Simulator;
using Refunds.Core.Anomalies;
using Refunds.Core.Configuration;
using Refunds.Core.Ledger;
using Refunds.Core.Reconciliation;
using Refunds.Core.Refunds;
using Refunds.Core.Webhooks;
using Refunds.DevHost;
using Refunds.Functions.Tests.DevHost;
using Refunds.Functions.Tests.Webhooks;

namespace Refunds.Functions.Tests.Reconciliation;

/// <summary>
/// The app's webhook and Reconcile functions in the dev host, over real HTTP, against the simulator: a canceled-but-paid
/// order is detected from its signed <c>order.succeeded</c> webhook, refunded through the queue by the timer in
/// AutoRefund mode, and a replayed webhook plus further timer runs add no second request.
/// </summary>
public sealed class ReconcileFunctionTests
{
    [Fact]
    public async Task Paid_after_cancel_order_is_refunded_once_through_the_timer_despite_a_replayed_webhook()
    {
        using var pingppKey = new TestWebhookSigner();
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var queueName = TestStorage.UniqueQueueName("reconcile-fn");
        var simulatorPort = LoopbackServer.FreePort();
        var options = new DevHostOptions
        {
            Functions = ["PingppWebhook", "Reconcile"],
            ConfigureServices = services =>
            {
                var tables = new TableServiceClient(TestStorage.ConnectionString);
                services.Replace(ServiceDescriptor.Singleton(new WebhookEventStore(tables, "rfevt" + suffix)));
                services.Replace(ServiceDescriptor.Singleton<IRefundLedger>(sp => new RefundLedger(
                    tables, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RefundLedger>>(), "rfled" + suffix, "rfidx" + suffix)));
                services.Replace(ServiceDescriptor.Singleton(sp => new ReconcileStateStore(tables, "rfidx" + suffix)));
                services.Replace(ServiceDescriptor.Singleton(sp => new DiscrepancyStore(tables, sp.GetRequiredService<TimeProvider>(), "rfdis" + suffix)));
                services.Replace(ServiceDescriptor.Singleton(sp => new AnomalyStore(tables, sp.GetRequiredService<TimeProvider>(), "rfano" + suffix)));
            },
        };
        foreach (var (key, value) in TestPingppSettings.Baseline())
        {
            options.Settings[key] = value;
        }

        options.Settings[TestPingppSettings.Key(SettingNames.PingppApiBase)] = $"http://127.0.0.1:{simulatorPort}";
        options.Settings[TestPingppSettings.Key(SettingNames.PingppWebhookPublicKeys0)] = pingppKey.PublicKeyPem;
        options.Settings[TestPingppSettings.Key(SettingNames.AnomaliesMode)] = nameof(AnomalyMode.AutoRefund);
        options.Settings[SettingNames.RefundRequestsQueue] = queueName;
        options.Settings[SettingNames.ReconcileSchedule] = "*/2 * * * * *";
        await using var host = await RunningDevHost.StartAsync(options);
        await host.Functions["Reconcile"].Ready.WaitAsync(TimeSpan.FromSeconds(30));

        var simulator = SimulatorApp.Build(["--urls", $"http://127.0.0.1:{simulatorPort}", "--Logging:LogLevel:Default=Warning"], o =>
        {
            o.ApiKey = TestPingppSettings.ApiKey;
            o.MerchantPublicKey = TestPingppSettings.MerchantPublicKeyPem;
            o.PingppPrivateKey = pingppKey.PrivateKeyPem;
            o.WebhookUrl = new Uri(host.Client.BaseAddress!, WebhookHost.Path).ToString();
            o.SettleDelay = TimeSpan.FromHours(1);
            o.WorkerInterval = TimeSpan.FromMilliseconds(20);
            o.WebhookRetryScale = 0.001;
        });
        await simulator.StartAsync();
        await using var _ = simulator;
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{simulatorPort}/") };
        var queue = new QueueClient(TestStorage.ConnectionString, queueName);
        var anomalies = new AnomalyStore(new TableServiceClient(TestStorage.ConnectionString), TimeProvider.System, "rfano" + suffix);
        try
        {
            using var seeded = await admin.PostAsJsonAsync("_sim/orders", new { amount = 1000, status = "canceled" });
            seeded.EnsureSuccessStatusCode();
            var order = JsonNode.Parse(await seeded.Content.ReadAsStringAsync())!;
            var orderId = order["id"]!.GetValue<string>();
            var chargeId = order["charges"]!["data"]![0]!["id"]!.GetValue<string>();
            var expectedId = AnomalyRefundRequestIds.For(orderId, AnomalyKind.PaidAfterCancel, chargeId);

            var enqueued = await WaitForAsync(() => anomalies.ListAsync(orderId, CancellationToken.None), rows => rows.Any(r => r.Outcome.StartsWith("refund requested", StringComparison.Ordinal)));
            Assert.Single(enqueued);

            // Replay the order.succeeded webhook (same event id: the receiver acknowledges it as a duplicate), then let
            // the timer run twice more.
            var events = JsonNode.Parse(await admin.GetStringAsync("_sim/events"))!["data"]!.AsArray();
            var eventId = events.Single(e => e!["type"]!.GetValue<string>() == "order.succeeded" && e["object_id"]!.GetValue<string>() == orderId)!["id"]!.GetValue<string>();
            using (var replay = await admin.PostAsync($"_sim/events/{eventId}/replay", null))
            {
                Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
            }

            await WaitForAsync(
                async () => JsonNode.Parse(await admin.GetStringAsync("_sim/events"))!["data"]!.AsArray().Single(e => e!["id"]!.GetValue<string>() == eventId)!,
                e => e["attempts"]!.AsArray().Count(a => a!["status_code"]?.GetValue<int>() == 200) >= 2);
            var index = new TableClient(TestStorage.ConnectionString, "rfidx" + suffix);
            var replayedAt = DateTimeOffset.UtcNow;
            await WaitForAsync(
                async () => (await index.GetEntityIfExistsAsync<TableEntity>("reconcile-state", "cursor")).Value?.GetDateTimeOffset("SavedAt"),
                savedAt => savedAt > replayedAt.AddSeconds(3));

            Assert.Equal("refund requested (1 request(s))", Assert.Single(await anomalies.ListAsync(orderId, CancellationToken.None)).Outcome);
            var messages = (await queue.PeekMessagesAsync(32)).Value;
            var message = Assert.Single(messages);
            var request = RefundRequestParser.Parse(message.Body.ToString(), null).Request!;
            Assert.Equal((expectedId, orderId, chargeId, 1000L), (request.RequestId, request.OrderId, request.Charge, request.ChargeAmount));
        }
        finally
        {
            await queue.DeleteIfExistsAsync();
        }
    }

    /// <summary>Polls until <paramref name="done"/> holds; the bound is a hang guard, not a timing assertion.</summary>
    private static Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done)
        => Eventually.ReturnsAsync(read, done, TimeSpan.FromMinutes(1), "the functions' work", interval: TimeSpan.FromMilliseconds(100));
}
