namespace Refunds.EndToEndTests.Support;

/// <summary>Which host runs the function app in the end-to-end tests.</summary>
public enum EndToEndHostKind
{
    /// <summary><c>src/Refunds.DevHost</c>, in-process on loopback (the default; what CI runs).</summary>
    DevHost,

    /// <summary>Azure Functions Core Tools' <c>func start</c>: the real Functions host, where <c>func</c> is on PATH.</summary>
    Func,
}

/// <summary>The host picked with <see cref="Variable"/>, and for <c>func</c> the executable found on PATH.</summary>
public sealed record EndToEndHost(EndToEndHostKind Kind, string? FuncPath)
{
    /// <summary><c>devhost</c> (default) or <c>func</c>.</summary>
    public const string Variable = "REFUNDS_E2E_HOST";

    private static readonly Lazy<EndToEndHost> FromEnvironment = new(() =>
        Select(Environment.GetEnvironmentVariable(Variable), Environment.GetEnvironmentVariable("PATH")));

    /// <summary>The host of this test run; an unknown value or a missing <c>func</c> fails every test that asks, with the reason.</summary>
    public static EndToEndHost Current => FromEnvironment.Value;

    /// <summary>True when the run asked for <c>func</c> (read without resolving it, for the tests only the local host can run).</summary>
    public static bool FuncRequested =>
        string.Equals(Environment.GetEnvironmentVariable(Variable)?.Trim(), "func", StringComparison.OrdinalIgnoreCase);

    /// <summary>What the test output says about the host.</summary>
    public string Description => Kind switch
    {
        EndToEndHostKind.Func => $"Azure Functions Core Tools ({FuncPath}: func start --enableAuth), function keys enforced",
        _ => "local host (src/Refunds.DevHost), function keys enforced",
    };

    /// <summary>
    /// Picks the host from the variable's value: empty or <c>devhost</c> → the local host; <c>func</c> → Core Tools,
    /// which must be on <paramref name="path"/> (never a silent fall back to the local host); anything else fails.
    /// </summary>
    public static EndToEndHost Select(string? value, string? path)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case null or "" or "devhost":
                return new EndToEndHost(EndToEndHostKind.DevHost, null);
            case "func":
                return new EndToEndHost(EndToEndHostKind.Func, FindOnPath("func", path) ?? throw new InvalidOperationException(
                    $"{Variable}=func, but no 'func' executable is on PATH ({(string.IsNullOrEmpty(path) ? "PATH is empty" : path)}). "
                    + "Install Azure Functions Core Tools 4.x, or unset the variable to run on the local host."));
            default:
                throw new InvalidOperationException($"{Variable}='{value}' is not a host: use 'devhost' (the default) or 'func' (Core Tools on PATH).");
        }
    }

    /// <summary>The first PATH entry holding <paramref name="name"/> as a file (on Windows also with .exe/.cmd), or null.</summary>
    public static string? FindOnPath(string name, string? path)
    {
        var candidates = OperatingSystem.IsWindows() ? new[] { name + ".exe", name + ".cmd", name } : [name];
        foreach (var folder in (path ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            foreach (var candidate in candidates)
            {
                var full = Path.Combine(folder, candidate);
                if (File.Exists(full))
                {
                    return full;
                }
            }
        }

        return null;
    }
}
