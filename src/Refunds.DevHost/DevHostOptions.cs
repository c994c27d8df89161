using System.Reflection;
using Refunds.Functions.Hosting;

namespace Refunds.DevHost;

/// <summary>What a caller (Program.cs, or a test hosting the dev host in-process) may choose.</summary>
public sealed class DevHostOptions
{
    /// <summary>The assembly whose <c>[Function]</c> methods are served; Refunds.Functions by default.</summary>
    public Assembly FunctionsAssembly { get; set; } = typeof(FunctionAppServices).Assembly;

    /// <summary>Serve only these functions (like <c>func start --functions</c>); null = all.</summary>
    public IReadOnlyCollection<string>? Functions { get; set; }

    /// <summary>Queue semantics; null = from host.json.</summary>
    public QueueHostOptions? Queues { get; set; }

    /// <summary>Timer singleton lock timings; null = from host.json.</summary>
    public SingletonHostOptions? Singleton { get; set; }

    /// <summary>host.json to read; null = next to the dev host, else the repository root.</summary>
    public string? HostJsonPath { get; set; }

    /// <summary>Explicit local.settings.json (also <c>--settings</c>).</summary>
    public string? LocalSettingsPath { get; set; }

    /// <summary>The secrets folder (also <c>--secrets</c>); null = <c>.local/secrets</c> in the repository.</summary>
    public string? SecretsPath { get; set; }

    /// <summary>False = ignore any local.settings.json (tests: only their own settings count).</summary>
    public bool UseLocalSettingsFile { get; set; } = true;

    /// <summary>Settings that win over everything else (tests: unique queue names).</summary>
    public IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Extra registrations after the app's own (tests: probes their functions report to).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }
}
