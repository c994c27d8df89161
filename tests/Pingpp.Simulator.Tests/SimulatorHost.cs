using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Pingpp.Simulator.Tests;

/// <summary>The simulator hosted in-process on a free loopback port, plus a client that speaks to it like a merchant.</summary>
internal sealed class SimulatorHost : IAsyncDisposable
{
    public const string ApiKey = "sk_test_ibbTe5jLGCi5rzfH4OqPW9KC";

    private readonly WebApplication _app;

    private SimulatorHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress };
    }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    /// <summary>Set when the simulator requires signatures: the merchant's signer.</summary>
    public MerchantSigner? Signer { get; private set; }

    public static async Task<SimulatorHost> StartAsync(Action<SimulatorOptions>? configure = null, bool signed = false)
    {
        var app = SimulatorApp.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"], o =>
        {
            o.SettleDelay = TimeSpan.FromHours(1); // tests settle explicitly through /_sim/settle unless they say otherwise
            o.WorkerInterval = TimeSpan.FromMilliseconds(10);
            if (signed) o.MerchantPublicKey = VectorFiles.PathOf("merchant_sample_rsa_public_key.pem");
            configure?.Invoke(o);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new SimulatorHost(app, new Uri(address)) { Signer = signed ? MerchantSigner.Sample() : null };
    }

    /// <summary>Seeds a paid order through the admin API and returns the Ping++ order object.</summary>
    public async Task<JsonObject> SeedOrderAsync(string json = """{"amount":1000,"charges":[{"amount":600,"channel":"alipay"},{"amount":400,"channel":"wx"}]}""")
    {
        using var response = await Http.PostAsync("/_sim/orders", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>A request as the merchant's client would send it: Bearer key, and a signature when the host is signed.</summary>
    public HttpRequestMessage Request(HttpMethod method, string pathAndQuery, string? body = null, string? timestamp = null)
    {
        var request = new HttpRequestMessage(method, pathAndQuery);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        if (Signer is not null)
        {
            timestamp ??= MerchantSigner.Now();
            request.Headers.Add("Pingplusplus-Request-Timestamp", timestamp);
            request.Headers.Add("Pingplusplus-Signature", Signer.Sign(body ?? "", pathAndQuery, timestamp));
        }
        return request;
    }

    public async Task<(int Status, JsonNode? Json)> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
        }
    }

    public Task<(int Status, JsonNode? Json)> CreateRefundAsync(string orderId, string body) =>
        SendAsync(Request(HttpMethod.Post, $"/v1/orders/{orderId}/order_refunds", body));

    public Task<(int Status, JsonNode? Json)> GetAsync(string pathAndQuery) => SendAsync(Request(HttpMethod.Get, pathAndQuery));

    public async Task<JsonNode> AdminAsync(HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }

    public Task<JsonNode> SettleAsync() => AdminAsync(HttpMethod.Post, "/_sim/settle");

    public async Task<JsonArray> AdminRefundsAsync() => (JsonArray)(await AdminAsync(HttpMethod.Get, "/_sim/refunds"))["data"]!;

    public async Task<JsonArray> EventsAsync() => (JsonArray)(await AdminAsync(HttpMethod.Get, "/_sim/events"))["data"]!;

    public Task SetFaultsAsync(string json) => AdminAsync(HttpMethod.Put, "/_sim/faults", json);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Signer?.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
