using Refunds.Cli;

namespace Refunds.IntegrationTests.Cli;

/// <summary>What one in-process run of the <c>refunds</c> CLI returned and printed.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Err)
{
    public static async Task<CliRun> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr, CancellationToken.None);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Failures are one line each, never a stack trace.</summary>
    public void AssertNoStackTrace()
    {
        Assert.DoesNotContain("   at ", Err);
        Assert.DoesNotContain("Exception:", Err);
    }
}
