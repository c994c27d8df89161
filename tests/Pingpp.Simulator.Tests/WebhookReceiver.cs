using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Pingpp.Simulator.Tests;

/// <summary>A merchant's webhook endpoint on loopback Kestrel: records every delivery with its raw bytes and signature header.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<Delivery> _deliveries = [];
    private readonly Dictionary<string, Queue<int>> _statuses = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LoopbackServer _server = null!;

    public string Url => _server.BaseAddress + "/webhooks/pingpp";

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        receiver._server = await LoopbackServer.StartAsync(app => app.MapPost("/webhooks/pingpp", (Func<HttpContext, Task<IResult>>)receiver.ReceiveAsync));
        return receiver;
    }

    private async Task<IResult> ReceiveAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var delivery = new Delivery(buffer.ToArray(), context.Request.Headers["x-pingplusplus-signature"].ToString());
        int status;
        lock (_gate)
        {
            _deliveries.Add(delivery);
            status = _statuses.TryGetValue(delivery.Type, out var queue) && queue.Count > 0 ? queue.Dequeue() : 200;
            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return Results.StatusCode(status);
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

    public ValueTask DisposeAsync() => _server.DisposeAsync();

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
