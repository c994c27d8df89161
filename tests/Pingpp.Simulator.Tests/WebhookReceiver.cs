using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using System.Text.Json.Nodes;

namespace Pingpp.Simulator.Tests;

/// <summary>A merchant's webhook endpoint on Kestrel: records every delivery with its raw bytes and signature header.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<Delivery> _deliveries = [];
    private readonly Dictionary<string, Queue<int>> _statuses = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WebhookReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(["--urls", "http://127.0.0.1:0"]);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/webhooks/pingpp", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var delivery = new Delivery(buffer.ToArray(), context.Request.Headers["x-pingplusplus-signature"].ToString());
            int status;
            lock (receiver._gate)
            {
                receiver._deliveries.Add(delivery);
                status = receiver._statuses.TryGetValue(delivery.Type, out var queue) && queue.Count > 0 ? queue.Dequeue() : 200;
                receiver._changed.TrySetResult();
                receiver._changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        receiver.Url = address + "/webhooks/pingpp";
        return receiver;
    }

    /// <summary>The statuses answered to the next deliveries of one event type (then 200).</summary>
    public void RespondTo(string eventType, params int[] statuses)
    {
        lock (_gate) _statuses[eventType] = new Queue<int>(statuses);
    }

    public IReadOnlyList<Delivery> Deliveries
    {
        get { lock (_gate) return [.. _deliveries]; }
    }

    /// <summary>Waits until the deliveries satisfy the condition (generous timeout: a hang, not a timing assertion).</summary>
    public async Task<IReadOnlyList<Delivery>> WaitAsync(Func<IReadOnlyList<Delivery>, bool> condition, int timeoutSeconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (condition(_deliveries)) return [.. _deliveries];
                changed = _changed.Task;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || await Task.WhenAny(changed, Task.Delay(left)) != changed)
            {
                throw new TimeoutException($"webhook condition not met; got {Deliveries.Count} deliveries: " +
                    string.Join(", ", Deliveries.Select(d => d.Type)));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed record Delivery(byte[] Body, string Signature)
    {
        public JsonObject Json => (JsonObject)JsonNode.Parse(Body)!;
        public string Type => Json["type"]!.GetValue<string>();
        public string EventId => Json["id"]!.GetValue<string>();
        public JsonObject DataObject => (JsonObject)Json["data"]!["object"]!;

        public bool VerifiesWith(string publicKeyPem)
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(publicKeyPem);
            return rsa.VerifyData(Body, Convert.FromBase64String(Signature), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
    }
}
