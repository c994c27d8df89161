namespace Refunds.IntegrationTests.Cli;

/// <summary>Per-command help with examples, usage errors, and defaults taken from <c>source .local/refunds.env</c>.</summary>
public sealed class HelpAndDefaultsTests : IAsyncLifetime
{
    private const string OrderId = "2011708070000007521";
    private ScriptedAppServer _app = null!;

    public async Task InitializeAsync() => _app = await ScriptedAppServer.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Demo_help_describes_the_demo_its_options_and_an_example()
    {
        var run = await CliRun.RunAsync("demo", "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("refunds demo [options]", run.Out);
        Assert.Contains("seeds N ordinary paid orders at the Ping++ simulator", run.Out);
        Assert.Contains("no request made more than one refund", run.Out);
        Assert.Contains("--orders <N>", run.Out);
        Assert.Contains("--timeout <seconds>", run.Out);
        Assert.Contains("dotnet refunds demo --orders 2 --timeout 60", run.Out);
        // Not the overview: the other commands' details are not there.
        Assert.DoesNotContain("Idempotency-Key header", run.Out);
    }

    [Theory]
    [InlineData("enqueue", "dotnet refunds enqueue 2011708070000007521")]
    [InlineData("submit", "dotnet refunds submit 2011708070000007521")]
    [InlineData("show", "dotnet refunds show 2011708070000007521 --source pingpp")]
    public async Task Each_command_has_its_own_help_with_examples(string command, string example)
    {
        var run = await CliRun.RunAsync(command, "-h");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"refunds {command} [<orderId>] [options]", run.Out);
        Assert.Contains("Examples:", run.Out);
        Assert.Contains(example, run.Out);
    }

    [Fact]
    public async Task The_overview_lists_every_command_on_one_line_and_no_command_exits_2_with_it_on_stderr()
    {
        var help = await CliRun.RunAsync("--help");
        var none = await CliRun.RunAsync();

        Assert.Equal(0, help.ExitCode);
        foreach (var command in new[] { "enqueue <orderId>", "submit <orderId>", "show <orderId>", "demo " })
        {
            Assert.Single(help.Out.Split('\n'), l => l.TrimStart().StartsWith(command, StringComparison.Ordinal));
        }

        Assert.Equal(2, none.ExitCode);
        Assert.Equal("", none.Out);
        Assert.Contains("Commands:", none.Err);
    }

    [Theory]
    [InlineData(new[] { "demo", "--orders", "0" }, "--orders must be a whole number above 0, not '0' (see refunds demo --help)")]
    [InlineData(new[] { "show", OrderId, "--source", "cache" }, "(see refunds show --help)")]
    [InlineData(new[] { "submit", "--description", "x" }, "submit needs an order id: refunds submit <orderId>")]
    [InlineData(new[] { "refund", OrderId }, "unexpected argument 'refund' (see refunds --help)")]
    public async Task A_usage_error_is_one_line_naming_the_commands_help_and_exits_2(string[] args, string expected)
    {
        var run = await CliRun.RunAsync([.. args, "--app", _app.BaseAddress]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Err);
        Assert.Single(run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(_app.Requests);
        run.AssertNoStackTrace();
    }

    [Fact]
    public async Task After_sourcing_refunds_env_the_app_and_key_come_from_APP_and_KEY()
    {
        _app.Reply(200, """{"order_id":"2011708070000007521","requests":[],"refunds":[]}""");

        var run = await CliRun.RunWithEnvironmentAsync(
            new Dictionary<string, string> { ["APP"] = _app.BaseAddress, ["KEY"] = "key-from-env" }, "show", OrderId);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("key-from-env", Assert.Single(_app.Requests).Header("x-functions-key"));
    }

    [Fact]
    public async Task REFUNDS_variables_win_over_APP_and_KEY_and_options_win_over_both()
    {
        _app.Reply(200, """{"order_id":"2011708070000007521","requests":[],"refunds":[]}""");
        _app.Reply(200, """{"order_id":"2011708070000007521","requests":[],"refunds":[]}""");
        var environment = new Dictionary<string, string>
        {
            ["REFUNDS_APP"] = _app.BaseAddress, ["APP"] = ScriptedAppServer.ClosedAddress(),
            ["REFUNDS_KEY"] = "refunds-key", ["KEY"] = "plain-key",
        };

        var fromVariables = await CliRun.RunWithEnvironmentAsync(environment, "show", OrderId);
        var fromOption = await CliRun.RunWithEnvironmentAsync(environment, "show", OrderId, "--key", "option-key");

        Assert.Equal(0, fromVariables.ExitCode);
        Assert.Equal(0, fromOption.ExitCode);
        Assert.Equal(["refunds-key", "option-key"], _app.Requests.Select(r => r.Header("x-functions-key")));
    }

    [Fact]
    public async Task Help_never_shows_the_key_from_the_environment()
    {
        var run = await CliRun.RunWithEnvironmentAsync(new Dictionary<string, string> { ["KEY"] = "very-secret-key" }, "submit", "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain("very-secret-key", run.Out + run.Err);
    }
}
