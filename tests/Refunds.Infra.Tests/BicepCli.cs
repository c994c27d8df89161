using System.Diagnostics;

namespace Refunds.Infra.Tests;

/// <summary>Runs the pinned Bicep CLI (offline) and separates its diagnostics from its output.</summary>
internal static class BicepCli
{
    private const string Version = "0.49.2";

    public static string ExecutablePath { get; } = Resolve();

    public static BicepResult Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(ExecutablePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryPaths.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Keep the CLI from trying to reach the network (telemetry, registry restores).
        start.Environment["BICEP_TELEMETRY_ENABLED"] = "false";

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {ExecutablePath}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new BicepResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string Resolve()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("BICEP_PATH");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            if (!File.Exists(fromEnvironment))
            {
                throw new InvalidOperationException($"BICEP_PATH points to {fromEnvironment}, which does not exist.");
            }

            return fromEnvironment;
        }

        var pinned = RepositoryPaths.InPlace(".tools", "nuget", "azure.bicep.commandline.linux-x64", Version, "tools", "bicep");
        if (File.Exists(pinned))
        {
            return pinned;
        }

        throw new InvalidOperationException(
            $"The Bicep CLI was not found (BICEP_PATH is unset and {pinned} does not exist). Run scripts/test.sh, or " +
            $"`dotnet package download Azure.Bicep.CommandLine.linux-x64@{Version} -o .tools/nuget` and chmod +x the bicep file.");
    }
}

internal sealed record BicepResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Every output line that reports a warning or an error (Bicep type errors are warnings with exit code 0).</summary>
    public IReadOnlyList<string> Diagnostics =>
        (StandardOutput + "\n" + StandardError)
            .Split('\n')
            .Where(line => line.Contains("Warning", StringComparison.Ordinal) || line.Contains("Error", StringComparison.Ordinal))
            .Select(line => line.TrimEnd())
            .ToList();

    public void AssertClean(string what)
    {
        var diagnostics = Diagnostics;
        Assert.True(
            ExitCode == 0 && diagnostics.Count == 0,
            $"{what} exited {ExitCode} with diagnostics:\n{string.Join('\n', diagnostics)}\n{StandardError}");
    }
}
