using Refunds.EndToEndTests.Support;

namespace Refunds.EndToEndTests.Hosting;

/// <summary>How REFUNDS_E2E_HOST picks the host: never a silent fall back to the local host.</summary>
public sealed class EndToEndHostSelectionTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("refunds-e2e-path-").FullName;

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("devhost")]
    [InlineData(" DevHost ")]
    public void Unset_or_devhost_picks_the_local_host(string? value)
    {
        var host = EndToEndHost.Select(value, path: _folder);

        Assert.Equal(new EndToEndHost(EndToEndHostKind.DevHost, null), host);
        Assert.Contains("src/Refunds.DevHost", host.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_value_fails_naming_the_variable_and_the_hosts_there_are()
    {
        var failure = Assert.Throws<InvalidOperationException>(() => EndToEndHost.Select("azure", path: _folder));

        Assert.Equal("REFUNDS_E2E_HOST='azure' is not a host: use 'devhost' (the default) or 'func' (Core Tools on PATH).", failure.Message);
    }

    [Fact]
    public void Func_without_func_on_path_fails_naming_path_instead_of_running_on_the_local_host()
    {
        var failure = Assert.Throws<InvalidOperationException>(() => EndToEndHost.Select("func", path: _folder));

        Assert.StartsWith("REFUNDS_E2E_HOST=func, but no 'func' executable is on PATH (" + _folder + ")", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Func_on_path_is_picked_and_named_in_the_test_output()
    {
        var empty = Directory.CreateDirectory(Path.Combine(_folder, "empty")).FullName;
        var tools = Directory.CreateDirectory(Path.Combine(_folder, "tools")).FullName;
        var func = Path.Combine(tools, OperatingSystem.IsWindows() ? "func.exe" : "func");
        File.WriteAllText(func, "#!/bin/sh\n");

        var host = EndToEndHost.Select("FUNC", path: string.Join(Path.PathSeparator, empty, tools));

        Assert.Equal(new EndToEndHost(EndToEndHostKind.Func, func), host);
        Assert.Equal($"Azure Functions Core Tools ({func}: func start --enableAuth), function keys enforced", host.Description);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
