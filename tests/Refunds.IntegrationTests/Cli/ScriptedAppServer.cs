using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace Refunds.IntegrationTests.Cli;

/// <summary>
/// A <see cref="LoopbackServer"/> standing in for the function app's HTTP API: records every request and answers from a
/// script (the real API is tested by its own team; these tests prove what the CLI sends and how it shows answers).
/// </summary>
internal sealed class ScriptedAppServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<(int Status, string Body, (string Name, string Value)[] Headers)> _script = new();
    private LoopbackServer _server = null!;

    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();

    public string BaseAddress => _server.BaseAddress;

    public static async Task<ScriptedAppServer> StartAsync()
    {
        var server = new ScriptedAppServer();
        server._server = await LoopbackServer.StartAsync(server.HandleAsync);
        return server;
    }

    /// <summary>A loopback URL where nothing listens (a port just released).</summary>
    public static string ClosedAddress() => LoopbackServer.ClosedAddress();

    public void Reply(int status, string body, params (string Name, string Value)[] headers) => _script.Enqueue((status, body, headers));

    private async Task HandleAsync(HttpContext ctx)
    {
        Requests.Enqueue(await ReceivedRequest.ReadAsync(ctx));
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

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
