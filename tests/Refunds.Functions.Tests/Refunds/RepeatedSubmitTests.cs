using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Refunds.Core.Ledger;
using Refunds.Core.Refunds;
using Refunds.DevHost;
using Refunds.Functions.Tests.DevHost;

namespace Refunds.Functions.Tests.Refunds;

/// <summary>
/// <c>POST /api/orders/{id}/refunds</c> repeated with one Idempotency-Key, through the dev host with keys on. Only the
/// submit function is served, so nothing consumes the queue and its messages can be counted.
/// </summary>
public sealed class RepeatedSubmitTests
{
    private const string Order = "2026120500000000042";
    private const string Body = """{"description":"重复提交","charge":"ch_Hm5uTSifDOuTy9iLeLPSurrD","charge_amount":300}""";

    [Fact]
    public async Task Twenty_concurrent_submits_with_one_idempotency_key_enqueue_one_message_and_all_answer_2xx_with_the_request_s_state()
    {
        await using var app = await SubmitOnlyHost.StartAsync();
        var key = "rep-" + Guid.NewGuid().ToString("N");

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => app.SubmitAsync(key)));

        Assert.All(answers, a => Assert.True(a.Status is HttpStatusCode.Accepted or HttpStatusCode.OK, $"answered {(int)a.Status}"));
        Assert.Single(answers, a => a.Status == HttpStatusCode.Accepted);
        Assert.All(answers, a => Assert.Equal((key, "received"), (a.Json!["request_id"]!.GetValue<string>(), a.Json["status"]!.GetValue<string>())));
        Assert.Equal(1, await app.MessageCountAsync());
    }

    [Fact]
    public async Task A_repeat_enqueues_again_only_once_the_request_has_stayed_received_past_the_bound()
    {
        await using var app = await SubmitOnlyHost.StartAsync();
        var key = "rep-" + Guid.NewGuid().ToString("N");

        Assert.Equal(HttpStatusCode.Accepted, (await app.SubmitAsync(key)).Status);
        app.Clock.Advance(RefundRequestIntake.RepeatEnqueueAfter - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await app.SubmitAsync(key)).Status);
        Assert.Equal(1, await app.MessageCountAsync());

        // Still Received a minute on: the first message was lost (or is stuck); the repeat hands the request back.
        app.Clock.Advance(TimeSpan.FromSeconds(2));
        var late = await app.SubmitAsync(key);
        Assert.Equal((HttpStatusCode.OK, "received"), (late.Status, late.Json!["status"]!.GetValue<string>()));
        Assert.Equal(2, await app.MessageCountAsync());
    }

    [Fact]
    public async Task A_repeat_of_a_request_past_received_enqueues_nothing_whatever_its_age()
    {
        await using var app = await SubmitOnlyHost.StartAsync();
        var key = "rep-" + Guid.NewGuid().ToString("N");
        Assert.Equal(HttpStatusCode.Accepted, (await app.SubmitAsync(key)).Status);
        var claimed = await app.Ledger.TryBeginSubmitAsync(key, app.Clock.GetUtcNow(), TimeSpan.FromMinutes(2), CancellationToken.None);
        Assert.Equal(SubmitClaimOutcome.Claimed, claimed.Outcome);

        app.Clock.Advance(TimeSpan.FromHours(1));
        var repeat = await app.SubmitAsync(key);

        Assert.Equal((HttpStatusCode.OK, "submitting"), (repeat.Status, repeat.Json!["status"]!.GetValue<string>()));
        Assert.Equal(1, await app.MessageCountAsync());
    }

    private sealed class SubmitOnlyHost : IAsyncDisposable
    {
        private readonly RunningDevHost _host;
        private readonly QueueClient _queue;
        private readonly string[] _tables;

        private SubmitOnlyHost(RunningDevHost host, QueueClient queue, string[] tables, FakeTimeProvider clock)
        {
            _host = host;
            _queue = queue;
            _tables = tables;
            Clock = clock;
        }

        public FakeTimeProvider Clock { get; }

        public IRefundLedger Ledger => _host.Services.GetRequiredService<IRefundLedger>();

        public static async Task<SubmitOnlyHost> StartAsync()
        {
            var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
            var queueName = TestStorage.UniqueQueueName("repeat");
            string ledger = "repled" + Guid.NewGuid().ToString("N")[..16], index = "repidx" + Guid.NewGuid().ToString("N")[..16];
            var options = new DevHostOptions
            {
                Functions = ["SubmitRefund"],
                ConfigureServices = services =>
                {
                    services.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock));
                    services.Replace(ServiceDescriptor.Singleton<IRefundLedger>(sp => new RefundLedger(
                        sp.GetRequiredService<TableServiceClient>(), clock, sp.GetRequiredService<ILogger<RefundLedger>>(), ledger, index)));
                },
            };
            options.Settings["RefundRequestsQueue"] = queueName;
            options.Settings["ReconcileSchedule"] = "0 0 3 1 1 *";
            var host = await RunningDevHost.StartAsync(options);
            var queue = new QueueClient(TestStorage.ConnectionString, queueName);
            await queue.CreateIfNotExistsAsync();
            return new SubmitOnlyHost(host, queue, [ledger, index], clock);
        }

        public async Task<(HttpStatusCode Status, JsonNode? Json)> SubmitAsync(string idempotencyKey)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/orders/{Order}/refunds") { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
            request.Headers.Add("Idempotency-Key", idempotencyKey);
            using var response = await _host.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
        }

        public async Task<int> MessageCountAsync() => (await _queue.PeekMessagesAsync(32)).Value.Length;

        public async ValueTask DisposeAsync()
        {
            await _host.DisposeAsync();
            await _queue.DeleteIfExistsAsync();
            var tables = new TableServiceClient(TestStorage.ConnectionString);
            foreach (var table in _tables)
            {
                await tables.DeleteTableAsync(table);
            }
        }
    }
}
