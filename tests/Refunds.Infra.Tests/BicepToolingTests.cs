using System.Text.Json.Nodes;

namespace Refunds.Infra.Tests;

public sealed class BicepToolingTests
{
    [Fact]
    public void Main_template_builds_offline_without_warnings()
    {
        var build = CompiledTemplate.ForMain.Build;

        build.AssertClean("bicep build infra/main.bicep");
        Assert.NotEmpty(CompiledTemplate.ForMain.Resources);
    }

    [Fact]
    public void Every_bicep_file_lints_without_warnings()
    {
        Assert.True(BicepFiles().Count >= 2, "infra/ should hold main.bicep and its modules");

        BicepCli.Run("lint", "--pattern", "infra/**/*.bicep").AssertClean("bicep lint --pattern infra/**/*.bicep");
    }

    [Fact]
    public void Every_bicep_file_is_formatted()
    {
        // Format a copy (bicepconfig.json included) and compare, so the test never rewrites the working tree.
        var copy = RepositoryPaths.CopyOfInfra();
        try
        {
            BicepCli.Run("format", "--pattern", Path.Combine(copy.FullName, "**", "*.bicep")).AssertClean("bicep format");

            var unformatted = BicepFiles()
                .Where(file => File.ReadAllText(file).ReplaceLineEndings()
                    != File.ReadAllText(Path.Combine(copy.FullName, Path.GetRelativePath(RepositoryPaths.Infra, file))).ReplaceLineEndings())
                .Select(file => Path.GetRelativePath(RepositoryPaths.Root, file))
                .ToList();
            Assert.True(unformatted.Count == 0, $"Not formatted (run `bicep format <file>`): {string.Join(", ", unformatted)}");
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }

    [Fact]
    public void Linter_rules_are_errors_and_the_date_dependent_rule_stays_off()
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Infra, "bicepconfig.json")))!;
        var rules = config["analyzers"]!["core"]!["rules"]!.AsObject();

        Assert.True(config["analyzers"]!["core"]!["enabled"]!.GetValue<bool>());
        Assert.All(rules, rule => Assert.Equal("error", rule.Value!["level"]!.GetValue<string>()));
        Assert.Contains("no-unused-params", rules.Select(r => r.Key));
        Assert.Contains("outputs-should-not-contain-secrets", rules.Select(r => r.Key));
        Assert.DoesNotContain("use-recent-api-versions", rules.Select(r => r.Key));
    }

    [Fact]
    public void Azd_parameters_file_maps_only_declared_parameters_and_every_required_one()
    {
        var file = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Infra, "main.parameters.json")))!;
        var mapped = file["parameters"]!.AsObject().Select(p => p.Key).ToHashSet();
        var declared = CompiledTemplate.ForMain.Root["parameters"]!.AsObject();
        var required = declared.Where(p => !p.Value!.AsObject().ContainsKey("defaultValue")).Select(p => p.Key);

        Assert.Empty(mapped.Except(declared.Select(p => p.Key)));
        Assert.Empty(required.Except(mapped));
        Assert.Equal("${AZURE_ENV_NAME}", file["parameters"]!["environmentName"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public void Azd_project_deploys_the_functions_project_as_service_api()
    {
        var yaml = File.ReadAllLines(RepositoryPaths.InPlace("azure.yaml")).Select(l => l.Trim()).ToList();

        Assert.Contains("api:", yaml);
        Assert.Contains("project: ./src/Refunds.Functions", yaml);
        Assert.Contains("language: dotnet", yaml);
        Assert.Contains("host: function", yaml);
        Assert.Contains("path: infra", yaml);
        Assert.True(File.Exists(RepositoryPaths.InPlace("src", "Refunds.Functions", "Refunds.Functions.csproj")));
    }

    private static List<string> BicepFiles() =>
        [.. Directory.EnumerateFiles(RepositoryPaths.Infra, "*.bicep", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];
}
