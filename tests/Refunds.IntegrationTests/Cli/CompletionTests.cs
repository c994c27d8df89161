namespace Refunds.IntegrationTests.Cli;

/// <summary>Shell completion (<c>refunds complete</c>) from System.CommandLine's own completions: commands, options, bash's <c>complete -C</c>.</summary>
public sealed class CompletionTests
{
    [Fact]
    public async Task A_partial_command_completes_to_the_commands_that_start_with_it_and_nothing_else()
    {
        var run = await CliRun.RunAsync("complete", "refunds re");

        Assert.Equal(0, run.ExitCode);
        var offered = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains("requeue", offered);
        Assert.Contains("review", offered);
        Assert.Contains("reapply", offered);
        Assert.All(offered, o => Assert.StartsWith("re", o, StringComparison.Ordinal));
        Assert.DoesNotContain("complete", offered);
    }

    [Fact]
    public async Task After_a_command_its_options_are_offered()
    {
        var run = await CliRun.RunAsync("complete", "refunds deny req-1 --");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("--reason", run.Out.Split('\n', StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task With_bash_the_line_and_cursor_come_from_COMP_LINE_and_COMP_POINT()
    {
        // The cursor after "refunds pro" in a longer line: what is typed up to the cursor is completed.
        var run = await CliRun.RunWithEnvironmentAsync(
            new Dictionary<string, string> { ["COMP_LINE"] = "refunds pro --kind x", ["COMP_POINT"] = "11" }, "complete", "--bash");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["problems"], run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
