using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.ApplicationInsights;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Refunds.Core.Webhooks;
using Refunds.DevHost;
using Refunds.Functions.Hosting;
using Refunds.Functions.Tests.DevHost;
using Refunds.Functions.Tests.Webhooks;

namespace Refunds.Functions.Tests.Hosting;

/// <summary>
/// The app with <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> set, against an ingestion endpoint on loopback that
/// records what the real Application Insights SDK sends: the logs carry the ids as fields, the counters arrive as
/// metrics, and no secret of the configuration is in any of it.
/// </summary>
public sealed class ApplicationInsightsTests
{
    [Fact]
    public async Task Logs_with_ids_and_counters_reach_Application_Insights_and_no_secret_does()
    {
        await using var ingestion = await FakeIngestion.StartAsync();
        using var signer = new TestWebhookSigner();
        var options = new DevHostOptions { Functions = ["PingppWebhook"] };
        options.Settings[RefundsTelemetry.ConnectionStringSetting] =
            $"InstrumentationKey=5f1c3a8e-0000-4000-8000-00000000a11c;IngestionEndpoint={ingestion.Url};LiveEndpoint={ingestion.Url}";
        options.Settings["Logging:LogLevel:Default"] = "Information";
        options.Settings[TestPingppSettings.Key(WebhookOptions.KeySettingName(0))] = signer.PublicKeyPem;
        await using var host = await RunningDevHost.StartAsync(options);
        await host.Functions["PingppWebhook"].Ready.WaitAsync(TimeSpan.FromSeconds(30));

        // A type nobody else sends, so the counter series below can only be this delivery's.
        var eventId = TestEvents.NewId("evt_");
        var type = "test.telemetry_" + Guid.NewGuid().ToString("N")[..12];
        var body = TestEvents.Bytes(TestEvents.Event(eventId, type, new System.Text.Json.Nodes.JsonObject { ["object"] = "transfer", ["id"] = "tr_1" }));
        Assert.Equal(200, await PostAsync(host, body, signer.Sign(body)));
        Assert.Equal(401, await PostAsync(host, body, "bm90IGEgc2lnbmF0dXJl"));

        host.Services.GetRequiredService<TelemetryClient>().Flush();
        var received = await ingestion.WaitForAsync(items =>
            items.Any(i => i.Kind == "MessageData" && i.Properties.GetValueOrDefault("EventId") == eventId)
            && items.Any(i => i.Kind == "MetricData" && i.Name == "refunds.webhooks.verified" && i.Properties.GetValueOrDefault("type") == type));

        var trace = received.First(i => i.Kind == "MessageData" && i.Properties.GetValueOrDefault("EventId") == eventId);
        Assert.Equal(type, trace.Properties.GetValueOrDefault("EventType"));
        Assert.Contains(received, i => i.Kind == "MessageData" && i.Properties.GetValueOrDefault("SignatureResult") == "InvalidSignature");

        var everything = string.Join("\n", ingestion.RawPayloads);
        foreach (var secret in Secrets())
        {
            Assert.False(everything.Contains(secret, StringComparison.Ordinal), $"a secret ({secret[..6]}…) was sent to Application Insights");
        }
    }

    private static IEnumerable<string> Secrets()
    {
        yield return TestPingppSettings.ApiKey;
        // Any line of the merchant private key's PEM body, and the storage account key of the connection string.
        foreach (var line in File.ReadAllLines(TestPingppSettings.MerchantPrivateKeyPath).Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)))
        {
            yield return line;
        }

        var accountKey = TestStorage.ConnectionString.Split(';').FirstOrDefault(p => p.StartsWith("AccountKey=", StringComparison.OrdinalIgnoreCase));
        if (accountKey is not null)
        {
            yield return accountKey["AccountKey=".Length..];
        }
    }

    private static async Task<int> PostAsync(RunningDevHost host, byte[] body, string signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, WebhookHost.Path) { Content = new ByteArrayContent(body) };
        request.Headers.TryAddWithoutValidation("X-Pingplusplus-Signature", signature);
        using var response = await host.Client.SendAsync(request);
        return (int)response.StatusCode;
    }

    /// <summary>One telemetry item as the ingestion endpoint receives it: its base type, name and custom properties.</summary>
    private sealed record Item(string Kind, string? Name, IReadOnlyDictionary<string, string> Properties);

    /// <summary>
    /// Accepts every POST on loopback as Application Insights' ingestion does (gzip'd newline-delimited JSON envelopes)
    /// and keeps the items; answers the Live Metrics pings so that the SDK stays quiet. Served by the shared <see cref="LoopbackServer"/>.
    /// </summary>
    private sealed class FakeIngestion : IAsyncDisposable
    {
        private readonly ConcurrentQueue<Item> _items = new();
        private readonly ConcurrentQueue<string> _raw = new();
        private LoopbackServer? _server;

        public string Url => _server!.BaseAddress + "/";

        public IEnumerable<string> RawPayloads => _raw;

        public static async Task<FakeIngestion> StartAsync()
        {
            var ingestion = new FakeIngestion();
            ingestion._server = await LoopbackServer.StartAsync(ingestion.HandleAsync);
            return ingestion;
        }

        public Task<IReadOnlyList<Item>> WaitForAsync(Func<IReadOnlyList<Item>, bool> done)
            => Eventually.ReturnsAsync<IReadOnlyList<Item>>(
                () => Task.FromResult<IReadOnlyList<Item>>(_items.ToList()),
                done,
                TimeSpan.FromSeconds(60),
                "the expected Application Insights items",
                items => $"{items.Count} items: " + string.Join(", ", items.Select(i => $"{i.Kind} {i.Name}").Distinct().Take(30)),
                TimeSpan.FromMilliseconds(200));

        public async ValueTask DisposeAsync()
        {
            if (_server is not null)
            {
                await _server.DisposeAsync();
            }
        }

        private async Task HandleAsync(HttpContext context)
        {
            if (!HttpMethods.IsPost(context.Request.Method) || !context.Request.Path.Value!.Contains("track", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.StatusCode = 200;
                return;
            }

            Stream body = context.Request.Body;
            if (context.Request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
            {
                body = new GZipStream(body, CompressionMode.Decompress);
            }

            using var reader = new StreamReader(body, Encoding.UTF8);
            var text = await reader.ReadToEndAsync();
            _raw.Enqueue(text);
            var count = 0;
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                count++;
                _items.Enqueue(Parse(line));
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"itemsReceived":{{count}},"itemsAccepted":{{count}},"errors":[]}""");
        }

        private static Item Parse(string envelope)
        {
            using var document = JsonDocument.Parse(envelope);
            var data = document.RootElement.GetProperty("data");
            var kind = data.GetProperty("baseType").GetString()!;
            var baseData = data.GetProperty("baseData");
            string? name = null;
            if (kind == "MetricData" && baseData.TryGetProperty("metrics", out var metrics) && metrics.GetArrayLength() > 0)
            {
                name = metrics[0].GetProperty("name").GetString();
            }

            var properties = new Dictionary<string, string>(StringComparer.Ordinal);
            if (baseData.TryGetProperty("properties", out var props))
            {
                foreach (var p in props.EnumerateObject())
                {
                    properties[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
                }
            }

            return new Item(kind, name, properties);
        }
    }
}
