using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Refunds.LocalRunTests;

/// <summary>One of the repository's scripts running under bash, its output collected as it comes.</summary>
internal sealed class ScriptProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();
    private readonly Lock _gate = new();

    private ScriptProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public string Out
    {
        get
        {
            lock (_gate) return _out.ToString();
        }
    }

    public string Err
    {
        get
        {
            lock (_gate) return _err.ToString();
        }
    }

    /// <param name="environment">Set (a value) or removed (null) on top of this process's environment.</param>
    public static ScriptProcess Start(string script, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        // env --default-signal=INT: a script started from a background job would otherwise inherit an ignored SIGINT,
        // which bash can then not trap; a person's Ctrl-C arrives with the default disposition.
        var start = new ProcessStartInfo("env", ["--default-signal=INT", "bash", Path.Combine(RepositoryPaths.Root, script), .. args])
        {
            WorkingDirectory = RepositoryPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        // dotnet test sets MSBuild variables for its own build; the script's builds must find their own SDK.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        var process = new Process { StartInfo = start };
        var running = new ScriptProcess(process);
        process.OutputDataReceived += (_, e) => running.Append(running._out, e.Data);
        process.ErrorDataReceived += (_, e) => running.Append(running._err, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return running;
    }

    /// <summary>Waits until stdout has a line containing <paramref name="text"/>; false when the script ended or time ran out.</summary>
    public async Task<bool> WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (Out.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            if (_process.HasExited)
            {
                await _process.WaitForExitAsync();
                return Out.Contains(text, StringComparison.Ordinal);
            }

            await Task.Delay(250);
        }

        return false;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>What Ctrl-C in its terminal sends the script itself.</summary>
    public void Interrupt() => Signal("-INT");

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // Politely first (the script stops what it started), then for sure.
            Signal("-TERM");
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    /// <summary>A port nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Three consecutive free ports (Azurite's blob, queue, table), starting at a random base.</summary>
    public static int FreePortBase()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var candidate = Random.Shared.Next(21000, 29000);
            if (Enumerable.Range(candidate, 3).All(IsFree))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("no three consecutive free ports between 21000 and 29000");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            target.AppendLine(line);
        }
    }

    private void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }
}
