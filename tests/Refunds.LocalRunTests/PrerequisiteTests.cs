namespace Refunds.LocalRunTests;

/// <summary>Both scripts check each tool they call before doing anything, and say in one line what is missing and how to get it.</summary>
public sealed class PrerequisiteTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("refunds-prereq-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string, string, string, string> MissingTools => new()
    {
        { "scripts/run-local.sh", "openssl", "missing: openssl", "sudo apt-get install -y openssl" },
        { "scripts/run-local.sh", "curl", "missing: curl", "brew install curl" },
        { "scripts/run-local.sh", "npm", "missing: npm", "nvm install 20" },
        { "scripts/test.sh", "openssl", "missing: openssl", "sudo apt-get install -y openssl" },
    };

    [Theory]
    [MemberData(nameof(MissingTools))]
    public async Task A_missing_tool_stops_the_script_with_one_line_naming_it_and_how_to_install_it(string script, string tool, string names, string install)
    {
        var path = FakePath(without: tool);

        var (code, stdout, stderr) = await RunAsync(script, path);

        Assert.Equal(1, code);
        var line = Assert.Single(stderr.Split('\n'), l => l.StartsWith("missing:", StringComparison.Ordinal));
        Assert.StartsWith(names, line, StringComparison.Ordinal);
        Assert.Contains(install, line);
        Assert.Contains("macOS:", line);
        Assert.Contains("Windows: use WSL", line);
        Assert.DoesNotContain("== tools", stdout); // nothing was installed or built
        if (script.EndsWith("test.sh", StringComparison.Ordinal))
        {
            Assert.Equal("0 passed, 1 failed", stdout.TrimEnd().Split('\n')[^1]);
        }
    }

    [Fact]
    public async Task An_old_dotnet_SDK_or_node_is_named_with_the_version_found()
    {
        var path = FakePath(without: "dotnet", fakes: new()
        {
            ["dotnet"] = "#!/bin/sh\n[ \"$1\" = --list-sdks ] && echo '8.0.404 [/usr/share/dotnet/sdk]'\nexit 0\n",
            ["node"] = "#!/bin/sh\necho v18.19.0\n",
        });

        var (code, _, stderr) = await RunAsync("scripts/run-local.sh", path);

        Assert.Equal(1, code);
        var lines = stderr.Split('\n').Where(l => l.StartsWith("missing:", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Contains("missing: .NET 10 SDK (found only: 8.0.404 )", lines[0]);
        Assert.Contains("dotnet-sdk-10.0", lines[0]);
        Assert.Contains("missing: Node.js 20 (found node v18.19.0)", lines[1]);
    }

    private async Task<(int Code, string Out, string Err)> RunAsync(string script, string path)
    {
        await using var run = ScriptProcess.Start(script, new Dictionary<string, string?>
        {
            ["PATH"] = path,
            ["REFUNDS_LOCAL_DIR"] = Path.Combine(_folder, "state"),
            ["AZURITE_PORT_BASE"] = ScriptProcess.FreePortBase().ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var code = await run.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (code, run.Out, run.Err);
    }

    /// <summary>A PATH with every program of this one except <paramref name="without"/>, plus <paramref name="fakes"/>.</summary>
    private string FakePath(string without, Dictionary<string, string>? fakes = null)
    {
        var bin = Directory.CreateDirectory(Path.Combine(_folder, "bin")).FullName;
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(directory))
            {
                var name = Path.GetFileName(file);
                var link = Path.Combine(bin, name);
                if (name != without && fakes?.ContainsKey(name) != true && !File.Exists(link))
                {
                    File.CreateSymbolicLink(link, file);
                }
            }
        }

        foreach (var (name, content) in fakes ?? [])
        {
            var fake = Path.Combine(bin, name);
            File.WriteAllText(fake, content);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        return bin;
    }
}
