using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Refunds.LocalRunTests;

/// <summary>
/// Starts <c>./scripts/run-local.sh</c> (own ports, own state folder, Release build), pastes every runnable shell block
/// of README.md into one bash session, in order, as a newcomer would, and checks the HTTP statuses and exit codes the
/// markers document; then presses Ctrl-C and checks what the script says it stopped.
/// </summary>
public sealed partial class ReadmeExamplesRunTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task The_READMEs_runnable_blocks_give_the_documented_results_against_a_local_run_and_Ctrl_C_stops_it()
    {
        // Under the repository, so `dotnet refunds` finds the tool manifest; `.local` of its own, so `source .local/refunds.env` is this run's.
        var work = RepositoryPaths.InPlace("TestResults", "readme-run");
        if (Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }

        Directory.CreateDirectory(work);
        var blocks = ReadmeBlocks.Read().Where(b => b.Runs).ToList();
        await using var run = ScriptProcess.Start("scripts/run-local.sh", new Dictionary<string, string?>
        {
            ["REFUNDS_LOCAL_DIR"] = Path.Combine(work, ".local"),
            ["REFUNDS_CONFIGURATION"] = "Release",
            ["AZURITE_PORT_BASE"] = ScriptProcess.FreePortBase().ToString(CultureInfo.InvariantCulture),
            ["SIMULATOR_PORT"] = ScriptProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["APP_PORT"] = ScriptProcess.FreePort().ToString(CultureInfo.InvariantCulture),
        });
        try
        {
            Assert.True(await run.WaitForOutputAsync("Press Ctrl-C to stop them.", StartTimeout),
                $"run-local.sh did not get ready.\nstdout:\n{run.Out}\nstderr:\n{run.Err}");
            Assert.Contains("source TestResults/readme-run/.local/refunds.env", run.Out);

            var results = await PasteAsync(work, blocks);
            var problems = new List<string>();
            foreach (var (block, result) in blocks.Zip(results))
            {
                output.WriteLine($"== {block} -> exit {result.ExitCode}, HTTP {string.Join(' ', result.Statuses)}\n{result.Out}{result.Err}");
                if (result.ExitCode != block.ExitCode || !result.Statuses.SequenceEqual(block.HttpStatuses))
                {
                    problems.Add($"{block}\n  documented: exit {block.ExitCode}, HTTP [{string.Join(' ', block.HttpStatuses)}]\n"
                                 + $"  got:        exit {result.ExitCode}, HTTP [{string.Join(' ', result.Statuses)}]\n  stdout: {result.Out}\n  stderr: {result.Err}");
                }
            }

            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
        finally
        {
            run.Interrupt();
            await run.WaitForExitAsync(TimeSpan.FromSeconds(60));
            output.WriteLine(run.Out);
        }

        // What Ctrl-C said: each thing it had started, by name and pid.
        var stopped = Assert.Single(run.Out.Split('\n'), l => l.StartsWith("stopped: ", StringComparison.Ordinal));
        Assert.Matches(StoppedLine(), stopped);
    }

    private sealed record BlockResult(int ExitCode, IReadOnlyList<int> Statuses, string Out, string Err);

    /// <summary>All blocks in one bash session (a variable a block sets is there for the next), each block's output apart.</summary>
    private static async Task<IReadOnlyList<BlockResult>> PasteAsync(string work, IReadOnlyList<ShellBlock> blocks)
    {
        var session = Directory.CreateDirectory(Path.Combine(work, "session")).FullName;
        var driver = new System.Text.StringBuilder("set +e\n");
        for (var i = 0; i < blocks.Count; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(session, $"block{i}.sh"), blocks[i].Code + "\n");
            driver.Append(CultureInfo.InvariantCulture, $"source \"{session}/block{i}.sh\" >\"{session}/out{i}\" 2>\"{session}/err{i}\"; echo $? >\"{session}/rc{i}\"\n");
        }

        await File.WriteAllTextAsync(Path.Combine(session, "driver.sh"), driver.ToString());
        var start = new System.Diagnostics.ProcessStartInfo("bash", [Path.Combine(session, "driver.sh")])
        {
            WorkingDirectory = work,
            UseShellExecute = false,
        };
        // A clean slate: nothing a developer sourced before counts, only what the README's own lines set.
        foreach (var name in new[] { "APP", "KEY", "MASTER_KEY", "SIM", "REFUNDS_APP", "REFUNDS_KEY", "REFUNDS_SIMULATOR", "REFUNDS_STORAGE", "AzureWebJobsStorage" })
        {
            start.Environment.Remove(name);
        }

        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        using (var bash = System.Diagnostics.Process.Start(start)!)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await bash.WaitForExitAsync(cts.Token);
        }

        var results = new List<BlockResult>();
        for (var i = 0; i < blocks.Count; i++)
        {
            var stdout = await File.ReadAllTextAsync(Path.Combine(session, $"out{i}"));
            var rc = int.Parse((await File.ReadAllTextAsync(Path.Combine(session, $"rc{i}"))).Trim(), CultureInfo.InvariantCulture);
            var statuses = StatusLine().Matches(stdout).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
            results.Add(new BlockResult(rc, statuses, stdout, await File.ReadAllTextAsync(Path.Combine(session, $"err{i}"))));
        }

        return results;
    }

    // Not anchored: a JSON body has no final newline, so the next response's status line follows it on the same line.
    [GeneratedRegex(@"HTTP/[0-9.]+ ([1-5][0-9]{2}) ")]
    private static partial Regex StatusLine();

    [GeneratedRegex(@"^stopped: Azurite \(pid \d+\), Ping\+\+ simulator \(pid \d+\), function app \(pid \d+\)\.")]
    private static partial Regex StoppedLine();
}
