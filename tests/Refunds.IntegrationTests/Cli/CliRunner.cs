using Refunds.Cli;

namespace Refunds.IntegrationTests.Cli;

/// <summary>What one in-process run of the <c>refunds</c> CLI returned and printed.</summary>
public sealed record CliRun(int ExitCode, string Out, string Err)
{
    /// <summary>Runs with no environment variables at all, so a developer's sourced .local/refunds.env changes nothing.</summary>
    public static Task<CliRun> RunAsync(params string[] args) => RunWithEnvironmentAsync(new Dictionary<string, string>(), args);

    public static async Task<CliRun> RunWithEnvironmentAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr, environment, CancellationToken.None);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Failures are one line each, never a stack trace.</summary>
    public void AssertNoStackTrace()
    {
        Assert.DoesNotContain("   at ", Err);
        Assert.DoesNotContain("Exception:", Err);
    }
}
