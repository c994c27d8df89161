using System.Diagnostics;

namespace Refunds.Preflight;

/// <summary>Runs the Bicep CLI offline; diagnostics are its Warning/Error lines (type errors are warnings with exit 0).</summary>
public sealed class BicepCommand(string executable)
{
    public BicepOutput Run(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["BICEP_TELEMETRY_ENABLED"] = "false";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new BicepOutput(process.ExitCode, stdout.Result, stderr.Result);
    }
}

public sealed record BicepOutput(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Every output line that reports a warning or an error.</summary>
    public IReadOnlyList<string> Diagnostics =>
        [.. (StandardOutput + "\n" + StandardError)
            .Split('\n')
            .Where(line => line.Contains("Warning", StringComparison.Ordinal) || line.Contains("Error", StringComparison.Ordinal))
            .Select(line => line.TrimEnd())];

    public bool Clean => ExitCode == 0 && Diagnostics.Count == 0;
}
