using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Refunds.DevHost;

namespace Refunds.EndToEndTests.Support;

/// <summary>One running instance of the function app, on whichever host the run picked.</summary>
public interface IAppInstance
{
    Uri Url { get; }

    /// <summary>The app's own services: only the in-process local host has them (null on <c>func</c>).</summary>
    IServiceProvider? Services { get; }

    /// <summary>Stops it gracefully: no new work, running invocations finish, timer locks are released.</summary>
    Task StopAsync();
}

/// <summary>The local host in-process (src/Refunds.DevHost), ready once every served function is listening.</summary>
public sealed class DevHostInstance : IAppInstance
{
    private readonly WebApplication _app;

    private DevHostInstance(WebApplication app) => _app = app;

    public Uri Url => new(_app.Urls.Single());

    public IServiceProvider? Services => _app.Services;

    public static async Task<DevHostInstance> StartAsync(string url, DevHostOptions options)
    {
        var app = DevHostApplication.Build(["--urls", url], options);
        var instance = new DevHostInstance(app);
        try
        {
            await app.StartAsync();
            var served = app.Services.GetRequiredService<ServedFunctions>().All;
            try
            {
                await Task.WhenAll(served.Select(f => f.Ready)).WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException)
            {
                throw new TimeoutException("functions not ready after 60 s: " + string.Join(", ", served.Where(f => !f.Ready.IsCompleted).Select(f => f.Name)));
            }

            return instance;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public async Task StopAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// <c>func start</c> as a child process (<see cref="FuncHostLauncher"/>), ready once its anonymous health route
/// answers 200. Its output is kept (last lines) for the failure message if it exits or never gets ready.
/// </summary>
public sealed class FuncInstance : IAppInstance
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);
    private readonly Process _process;
    private readonly Queue<string> _output = new();

    private FuncInstance(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    public IServiceProvider? Services => null;

    public static async Task<FuncInstance> StartAsync(ProcessStartInfo start, Uri url)
    {
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var instance = new FuncInstance(process, url);
        process.OutputDataReceived += (_, e) => instance.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => instance.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTimeOffset.UtcNow + StartTimeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync(); // the rest of its output
                throw new InvalidOperationException($"func exited with {process.ExitCode} before it answered /api/health:\n{instance.Tail()}");
            }

            try
            {
                using var health = await http.GetAsync("/api/health");
                if (health.IsSuccessStatusCode)
                {
                    return instance;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Listening, not answering yet.
            }

            await Task.Delay(500);
        }

        await instance.StopAsync();
        throw new TimeoutException($"func did not answer /api/health within {StartTimeout}:\n{instance.Tail()}");
    }

    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            // Ctrl+C as a developer stops it; the host then drains like on a scale-in. Killed if it does not end.
            if (!OperatingSystem.IsWindows())
            {
                using var signal = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                await signal.WaitForExitAsync();
            }

            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > 60)
            {
                _output.Dequeue();
            }
        }
    }

    private string Tail()
    {
        lock (_output)
        {
            return string.Join('\n', _output);
        }
    }
}
