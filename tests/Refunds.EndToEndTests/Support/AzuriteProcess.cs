using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Refunds.Functions.Tests;

namespace Refunds.EndToEndTests.Support;

/// <summary>
/// An Azurite of this test's own (the repository's pinned <c>node_modules/.bin/azurite</c>), persisting to a
/// temporary directory on free loopback ports, so a test can stop and restart storage without touching the shared one.
/// </summary>
/// <remarks>
/// <see cref="StopAsync"/> sends SIGTERM to the PID: Azurite then closes its sockets (in-flight requests fail) and
/// flushes its on-disk database. A SIGKILL would also lose up to 5 s of writes Azurite already acknowledged (its
/// LokiJS autosave interval), which real Table Storage never does, so it would test Azurite rather than us.
/// </remarks>
public sealed class AzuriteProcess : IAsyncDisposable
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    private readonly int[] _ports;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private AzuriteProcess(string location, int[] ports)
    {
        Location = location;
        _ports = ports;
    }

    /// <summary>Where Azurite keeps its data (deleted on dispose).</summary>
    public string Location { get; }

    public int TablePort => _ports[2];

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{_ports[0]}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{_ports[1]}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{_ports[2]}/devstoreaccount1;";

    /// <summary>The PID of the running Azurite, or null while it is stopped.</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    public static async Task<AzuriteProcess> StartAsync()
    {
        var location = Directory.CreateTempSubdirectory("refunds-e2e-azurite-").FullName;
        var azurite = new AzuriteProcess(location, FreePorts(3));
        try
        {
            await azurite.RestartAsync();
            return azurite;
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts Azurite (again) on the same ports and data directory and waits until the table endpoint answers.</summary>
    public async Task RestartAsync()
    {
        if (ProcessId is not null)
        {
            throw new InvalidOperationException("Azurite is already running.");
        }

        var executable = Path.Combine(RepositoryPaths.Root, "node_modules", ".bin", "azurite");
        if (!File.Exists(executable))
        {
            throw new FileNotFoundException("Azurite is not installed: run `npm ci` in the repository root (scripts/test.sh does).", executable);
        }

        var start = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
                 {
                     "--location", Location, "--skipApiVersionCheck", "--silent", "--disableTelemetry",
                     "--blobHost", "127.0.0.1", "--blobPort", Port(0), "--queueHost", "127.0.0.1", "--queuePort", Port(1),
                     "--tableHost", "127.0.0.1", "--tablePort", Port(2),
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with {process.ExitCode}: {Output}");
            }

            try
            {
                // Any HTTP answer (403 without credentials) means the table service is listening.
                using var _ = await http.GetAsync($"http://127.0.0.1:{TablePort}/devstoreaccount1/Tables");
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"Azurite did not answer on port {TablePort} within {StartTimeout}: {Output}");
    }

    /// <summary>Stops Azurite by its PID (SIGTERM, see remarks) and waits for it to exit; SIGKILL if it hangs.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        if (!process.HasExited)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
            await kill.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(StopTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                throw new TimeoutException($"Azurite ignored SIGTERM for {StopTimeout} and was killed: {Output}");
            }
        }

        process.Dispose();
        _process = null;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            try
            {
                Directory.Delete(Location, recursive: true);
            }
            catch (IOException)
            {
                // A temp directory left behind is harmless.
            }
        }
    }

    private string Port(int index) => _ports[index].ToString(System.Globalization.CultureInfo.InvariantCulture);

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 16_000)
            {
                _output.AppendLine(line);
            }
        }
    }

    /// <summary>Ports the OS hands out for port 0 (so never Azurite's defaults while they are taken), all listeners held until each is known.</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }
}
