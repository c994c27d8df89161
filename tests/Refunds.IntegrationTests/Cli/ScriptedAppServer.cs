using System.Collections.Concurrent;
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

namespace Refunds.IntegrationTests.Cli;

/// <summary>A request as the scripted server received it.</summary>
internal sealed record ReceivedRequest(string Method, string RawTarget, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>
/// Real Kestrel on 127.0.0.1:0 standing in for the function app's HTTP API: records every request and answers from a
/// script (the real API is tested by its own team; these tests prove what the CLI sends and how it shows answers).
/// </summary>
internal sealed class ScriptedAppServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<(int Status, string Body, (string Name, string Value)[] Headers)> _script = new();
    private WebApplication _app = null!;

    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();

    public string BaseAddress { get; private set; } = "";

    public static async Task<ScriptedAppServer> StartAsync()
    {
        var server = new ScriptedAppServer();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        server._app = builder.Build();
        server._app.Run(server.HandleAsync);
        await server._app.StartAsync();
        server.BaseAddress = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return server;
    }

    /// <summary>A loopback URL where nothing listens (a port just released).</summary>
    public static string ClosedAddress()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }

    public void Reply(int status, string body, params (string Name, string Value)[] headers) => _script.Enqueue((status, body, headers));

    private async Task HandleAsync(HttpContext ctx)
    {
        using var buffer = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(buffer);
        var headers = ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        Requests.Enqueue(new ReceivedRequest(ctx.Request.Method, ctx.Features.Get<IHttpRequestFeature>()!.RawTarget, headers, buffer.ToArray()));
        if (!_script.TryDequeue(out var answer))
        {
            answer = (599, "{\"error\":\"no scripted answer left\"}", []);
        }

        ctx.Response.StatusCode = answer.Status;
        foreach (var (name, value) in answer.Headers)
        {
            ctx.Response.Headers[name] = value;
        }

        ctx.Response.ContentType = "application/json; charset=utf-8";
        await ctx.Response.WriteAsync(answer.Body);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
