using System.Text.Json.Nodes;
using Refunds.Preflight;

namespace Refunds.Infra.Tests;

/// <summary>infra/main.production.parameters.json: the recommended production file (issue 24, point 9).</summary>
public sealed class ProductionParametersTests
{
    private static readonly string DefaultFile = Path.Combine(RepositoryPaths.Infra, "main.parameters.json");
    private static readonly string ProductionFile = Path.Combine(RepositoryPaths.Infra, "main.production.parameters.json");
    private static readonly string SampleEnv = Path.Combine(RepositoryPaths.Infra, "preflight.sample.env");

    [Fact]
    public void Production_file_maps_the_same_parameters_to_the_same_azd_variables()
    {
        Assert.Equal(
            AzdParameters.VariablesByParameter(File.ReadAllText(DefaultFile)),
            AzdParameters.VariablesByParameter(File.ReadAllText(ProductionFile)));
    }

    [Fact]
    public void Production_file_differs_only_by_turning_isolation_on_and_keeping_a_year_of_logs()
    {
        var environment = AzdParameters.ReadDotEnv(SampleEnv);
        var byDefault = Substituted(DefaultFile, environment);
        var production = Substituted(ProductionFile, environment);

        var differing = byDefault.Where(p => !JsonNode.DeepEquals(p.Value, production[p.Key])).Select(p => p.Key).Order(StringComparer.Ordinal);
        Assert.Equal(["logRetentionInDays", "networkIsolation"], differing);
        Assert.Equal("false", byDefault["networkIsolation"]!["value"]!.GetValue<string>());
        Assert.Equal("true", production["networkIsolation"]!["value"]!.GetValue<string>());
        Assert.Equal("365", production["logRetentionInDays"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public void Variables_set_in_the_azd_environment_still_win_over_the_production_defaults()
    {
        var environment = AzdParameters.ReadDotEnv(SampleEnv);
        environment["NETWORK_ISOLATION"] = "false";

        Assert.Equal("false", Substituted(ProductionFile, environment)["networkIsolation"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public void Preflight_passes_the_production_file_read_as_azd_reads_it_with_isolation_on()
    {
        var infra = RepositoryPaths.CopyOfInfra();
        try
        {
            // azd reads infra/main.parameters.json: docs/deploy.md copies the production file there.
            File.Copy(Path.Combine(infra.FullName, "main.production.parameters.json"), Path.Combine(infra.FullName, "main.parameters.json"), overwrite: true);
            var environment = AzdParameters.ReadDotEnv(SampleEnv);

            var inputs = DeploymentInputs.Load(new BicepCommand(BicepCli.ExecutablePath), infra.FullName, environment);
            var findings = PreflightChecks.Run(inputs, environment);

            Assert.Empty(inputs.ParameterDiagnostics);
            Assert.True(inputs.Flag("networkIsolation"));
            Assert.Equal(365, inputs.Number("logRetentionInDays"));
            Assert.DoesNotContain(findings, f => f.Severity == Severity.Problem);
            Assert.Contains(findings, f => f.Severity == Severity.ToDo && f.Text.Contains("az provider register --namespace Microsoft.App", StringComparison.Ordinal));
        }
        finally
        {
            infra.Delete(recursive: true);
        }
    }

    [Fact]
    public void Infra_readme_explains_the_default_and_the_deploy_guide_shows_how_to_use_the_production_file()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Infra, "README.md"));
        var deployGuide = File.ReadAllText(RepositoryPaths.InPlace("docs", "deploy.md"));

        Assert.Contains("## 9. `networkIsolation`: off by default, on in the production file", readme, StringComparison.Ordinal);
        Assert.Contains("cp infra/main.production.parameters.json infra/main.parameters.json", deployGuide, StringComparison.Ordinal);
    }

    private static JsonObject Substituted(string file, IReadOnlyDictionary<string, string> environment) =>
        JsonNode.Parse(AzdParameters.Substitute(File.ReadAllText(file), environment))!["parameters"]!.AsObject();
}
