using Refunds.Preflight;

namespace Refunds.Infra.Tests;

/// <summary>The pinned Bicep CLI (offline), run in the repository root through the pre-flight's runner.</summary>
internal static class BicepCli
{
    private const string Version = "0.49.2";

    public static string ExecutablePath { get; } = Resolve();

    public static BicepOutput Run(params string[] arguments) => new BicepCommand(ExecutablePath).Run(RepositoryPaths.Root, arguments);

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

internal static class BicepOutputAssertions
{
    public static void AssertClean(this BicepOutput output, string what) =>
        Assert.True(
            output.Clean,
            $"{what} exited {output.ExitCode} with diagnostics:\n{string.Join('\n', output.Diagnostics)}\n{output.StandardError}");
}
