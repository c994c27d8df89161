using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Refunds.TestSupport;

/// <summary>A request as a loopback server received it: method, target exactly as sent, headers and body bytes.</summary>
public sealed record ReceivedRequest(string Method, string RawTarget, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    /// <summary>Reads the whole request (the body to its end).</summary>
    public static async Task<ReceivedRequest> ReadAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        return new ReceivedRequest(context.Request.Method, context.Features.Get<IHttpRequestFeature>()!.RawTarget, headers, buffer.ToArray());
    }
}

/// <summary>
/// Real Kestrel on 127.0.0.1, a port the OS hands out, no logging: what every test that needs an HTTP peer on
/// loopback starts (a scripted Ping++, the app's API for the CLI, a webhook receiver, an ingestion endpoint).
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackServer(WebApplication app, string baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    /// <summary>The server's base address, without a trailing slash (<c>http://127.0.0.1:port</c>).</summary>
    public string BaseAddress { get; }

    public Uri Uri => new(BaseAddress + "/");

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a server answering every request with <paramref name="handler"/>.</summary>
    public static Task<LoopbackServer> StartAsync(RequestDelegate handler)
        => StartAsync(app => app.Run(handler));

    /// <summary>Starts a server whose pipeline <paramref name="configure"/> builds (routes, middleware), with <paramref name="services"/> registered.</summary>
    public static async Task<LoopbackServer> StartAsync(Action<WebApplication> configure, Action<IServiceCollection>? services = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        services?.Invoke(builder.Services);
        var app = builder.Build();
        configure(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LoopbackServer(app, address.TrimEnd('/'));
    }

    /// <summary>A loopback URL where nothing listens (a port just released).</summary>
    public static string ClosedAddress() => $"http://127.0.0.1:{FreePort()}";

    /// <summary>A port the OS hands out for port 0, released again (for a server that must know its URL before it starts).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
