using System.Text.RegularExpressions;

namespace Refunds.LocalRunTests;

/// <summary>What README.md asks a newcomer to paste: marked, free of jq, and limited to two set-up commands.</summary>
public sealed partial class ReadmeTests
{
    [Fact]
    public void Every_fenced_shell_block_says_whether_the_README_test_runs_it_and_why_not()
    {
        var blocks = ReadmeBlocks.Read();

        Assert.NotEmpty(blocks);
        Assert.All(blocks, b => Assert.True(b.Runs || b.NotRunReason is { Length: > 0 },
            $"{b}: needs <!-- readme-test: run[, http N …][, exit N] --> or <!-- readme-test: not run: reason --> on the line above; has: {b.Marker ?? "nothing"}"));
        Assert.True(blocks.Count(b => b.Runs) >= 5, "the README's examples are run, not only listed");
    }

    [Fact]
    public void No_shell_block_needs_jq()
    {
        Assert.All(ReadmeBlocks.Read(), b => Assert.False(Jq().IsMatch(b.Code), $"{b} uses jq, which a newcomer may not have"));
    }

    [Fact]
    public void The_only_set_up_commands_are_the_local_run_and_the_test_command()
    {
        var notRun = ReadmeBlocks.Read().Where(b => !b.Runs).Select(b => b.Code.Trim()).ToList();

        Assert.Equal(["./scripts/run-local.sh", "./scripts/test.sh"], notRun);
    }

    [Fact]
    public void The_marker_grammar_reads_statuses_and_exit_codes_and_refuses_a_bare_not_run()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, """
                <!-- readme-test: run, http 202 200, exit 1 -->
                ```bash
                curl -i x
                ```
                <!-- readme-test: not run: needs an Azure subscription -->

                ```sh
                az login
                ```
                <!-- readme-test: not run: -->
                ```bash
                echo unmarked
                ```
                ```json
                {"not": "shell"}
                ```
                """);

            var blocks = ReadmeBlocks.Read(file);

            Assert.Equal(3, blocks.Count);
            Assert.True(blocks[0].Runs);
            Assert.Equal([202, 200], blocks[0].HttpStatuses);
            Assert.Equal(1, blocks[0].ExitCode);
            Assert.False(blocks[1].Runs);
            Assert.Equal("needs an Azure subscription", blocks[1].NotRunReason);
            Assert.False(blocks[2].Runs);
            Assert.Null(blocks[2].NotRunReason);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [GeneratedRegex(@"(^|[\s|;&(`])jq(\s|$)", RegexOptions.Multiline)]
    private static partial Regex Jq();
}
