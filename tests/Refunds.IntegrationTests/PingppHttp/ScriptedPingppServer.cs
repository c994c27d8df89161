using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Refunds.IntegrationTests.PingppHttp;

/// <summary>A Ping++ stand-in on a <see cref="LoopbackServer"/>: records every request as received and answers from a script.</summary>
internal sealed class ScriptedPingppServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<Func<HttpContext, Task>> _script = new();
    private readonly CancellationTokenSource _stopping = new();
    private LoopbackServer _server = null!;

    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();

    public string BaseAddress => _server.BaseAddress;

    /// <summary>Completes when a request is received (reset by the test if needed).</summary>
    public TaskCompletionSource FirstRequestReceived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<ScriptedPingppServer> StartAsync()
    {
        var server = new ScriptedPingppServer();
        server._server = await LoopbackServer.StartAsync(server.HandleAsync);
        return server;
    }

    public void Reply(int status, string body, params (string Name, string Value)[] headers)
        => _script.Enqueue(async ctx =>
        {
            ctx.Response.StatusCode = status;
            foreach (var (name, value) in headers)
            {
                ctx.Response.Headers[name] = value;
            }

            ctx.Response.ContentType = "application/json; charset=utf-8";
            await ctx.Response.WriteAsync(body);
        });

    /// <summary>Never answers; returns when the client gives up (or the server stops).</summary>
    public void Hang()
        => _script.Enqueue(async ctx =>
        {
            using var both = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stopping.Token);
            try
            {
                await Task.Delay(Timeout.Infinite, both.Token);
            }
            catch (OperationCanceledException)
            {
            }
        });

    private async Task HandleAsync(HttpContext ctx)
    {
        Requests.Enqueue(await ReceivedRequest.ReadAsync(ctx));
        FirstRequestReceived.TrySetResult();

        if (_script.TryDequeue(out var respond))
        {
            await respond(ctx);
        }
        else
        {
            ctx.Response.StatusCode = 599;
            await ctx.Response.WriteAsync("script exhausted");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _server.DisposeAsync();
        _stopping.Dispose();
    }
}

/// <summary>Delegates to the system clock and records every timer due time (request timeouts and retry delays).</summary>
internal sealed class RecordingTimeProvider : TimeProvider
{
    public ConcurrentQueue<TimeSpan> DueTimes { get; } = new();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        DueTimes.Enqueue(dueTime);
        return System.CreateTimer(callback, state, dueTime, period);
    }
}

/// <summary>Keeps every formatted log line and structured value, to prove secrets never reach the logs.</summary>
internal sealed class CapturingLogger<T> : ILogger<T>
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
        Lines.Enqueue($"{logLevel} {eventId.Id} {formatter(state, exception)} | {values} | {exception}");
    }
}
