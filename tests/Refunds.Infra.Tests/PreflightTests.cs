using Refunds.Preflight;

namespace Refunds.Infra.Tests;

/// <summary>scripts/preflight.sh on the sample azd environment, and its checks on broken ones.</summary>
public sealed class PreflightTests
{
    private static readonly string SampleEnv = Path.Combine(RepositoryPaths.Infra, "preflight.sample.env");

    [Fact]
    public void Preflight_script_passes_the_sample_environment_on_one_screen_with_the_api_key_as_its_only_todo()
    {
        var (exit, output, error) = Shell.Run(
            "./scripts/preflight.sh --env-file infra/preflight.sample.env",
            new Dictionary<string, string> { ["BICEP_PATH"] = BicepCli.ExecutablePath });
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.True(exit == 0, output + error);
        Assert.InRange(lines.Length, 5, 24);
        Assert.Contains("Ready for azd up", lines[^1], StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.StartsWith("  FAIL", StringComparison.Ordinal));
        var todo = Assert.Single(lines, l => l.StartsWith("  TODO", StringComparison.Ordinal));
        Assert.Contains("Pingpp__ApiKey will stay an unresolved Key Vault reference", todo, StringComparison.Ordinal);
        foreach (var topic in new[] { "template", "parameters", "scale", "flex", "webhook key", "app settings", "cloud", "key vault" })
        {
            Assert.Contains(lines, l => l.StartsWith("  ok   " + topic, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_raw_pem_fails_naming_the_variable_and_the_base64_form()
    {
        var findings = Check(("PINGPP_WEBHOOK_PUBLIC_KEY", File.ReadAllText(RepositoryPaths.InPlace("tests", "TestData", "pingpp-vectors", "webhook1_pingpp_public_key.pem"))));

        var problem = Assert.Single(findings, f => f.Severity == Severity.Problem);
        Assert.Equal("parameters", problem.Topic);
        Assert.Contains("PINGPP_WEBHOOK_PUBLIC_KEY holds a line break", problem.Text, StringComparison.Ordinal);
        Assert.Contains("base64 -w0", problem.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Broken_values_fail_each_with_its_setting_and_fix()
    {
        var findings = Check(
            ("MAXIMUM_INSTANCE_COUNT", "10"),
            ("ANOMALIES_MODE", "Sometimes"),
            ("PINGPP_WEBHOOK_PUBLIC_KEY", "not a key"),
            ("PINGPP_API_BASE", "https://api.pingxx.com/v1"));
        var problems = findings.Where(f => f.Severity == Severity.Problem).ToList();

        Assert.Contains(problems, f => f.Topic == "scale" && f.Text.Contains("maximumInstanceCount 10 is below 40", StringComparison.Ordinal));
        Assert.Contains(problems, f => f.Topic == "parameters" && f.Text.Contains("'Sometimes'", StringComparison.Ordinal));
        Assert.Contains(problems, f => f.Topic == "webhook key" && f.Text.StartsWith("Pingpp__WebhookPublicKeys__0", StringComparison.Ordinal));
        Assert.Contains(problems, f => f.Topic == "app settings" && f.Text.Contains("Pingpp__ApiBase must be scheme://host", StringComparison.Ordinal));
    }

    [Fact]
    public void Values_that_are_not_numbers_or_flags_fail_through_build_params_instead_of_crashing()
    {
        var findings = Check(("MAXIMUM_INSTANCE_COUNT", "forty"), ("NETWORK_ISOLATION", "maybe"));

        var problem = Assert.Single(findings, f => f.Severity == Severity.Problem);
        Assert.Equal("parameters", problem.Topic);
        Assert.Contains("'forty'", problem.Text, StringComparison.Ordinal);
        Assert.Contains("'maybe'", problem.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Azure_china_isolation_recover_and_a_written_api_key_each_say_what_to_do()
    {
        var findings = Check(
            ("AZURE_LOCATION", "chinanorth3"),
            ("NETWORK_ISOLATION", "true"),
            ("KEY_VAULT_CREATE_MODE", "recover"),
            ("PINGPP_API_KEY_SECRET_EXISTS", "true"));

        Assert.DoesNotContain(findings, f => f.Severity == Severity.Problem);
        Assert.Contains(findings, f => f.Severity == Severity.ToDo && f.Text.Contains("azd config set cloud.name AzureChinaCloud", StringComparison.Ordinal)
            && f.Text.Contains("az functionapp list-flexconsumption-locations", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Severity == Severity.ToDo && f.Text.Contains("az provider register --namespace Microsoft.App", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Severity == Severity.ToDo && f.Text.Contains("KEY_VAULT_CREATE_MODE default", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Severity == Severity.Ok && f.Topic == "api key");
    }

    private static IReadOnlyList<Finding> Check(params (string Name, string Value)[] overrides)
    {
        var environment = AzdParameters.ReadDotEnv(SampleEnv);
        foreach (var (name, value) in overrides)
        {
            environment[name] = value;
        }

        var inputs = DeploymentInputs.Load(new BicepCommand(BicepCli.ExecutablePath), RepositoryPaths.Infra, environment);
        return PreflightChecks.Run(inputs, environment);
    }
}
