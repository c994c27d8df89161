using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Refunds.Core.Configuration;
using Refunds.Core.Signing;
using Refunds.Preflight;

namespace Refunds.Infra.Tests;

/// <summary>
/// The Ping++ public key travels from a PEM file through azd into the app: docs/deploy.md's command, azd's text
/// substitution into main.parameters.json, JSON parsing, <c>bicep build-params</c>, and the app's own key parser.
/// </summary>
public sealed partial class WebhookKeyThroughAzdTests
{
    private const string PemFile = "tests/TestData/pingpp-vectors/webhook1_pingpp_public_key.pem";

    [Fact]
    public void Documented_command_gives_a_value_that_reaches_the_app_as_pings_public_key()
    {
        // 1. The transformation docs/deploy.md tells users to run, verbatim, on a real PEM.
        var command = DocumentedCommand();
        Assert.Equal("azd env set PINGPP_WEBHOOK_PUBLIC_KEY \"$(base64 -w0 pingpp_public.pem)\"", command);
        var transformation = SubstitutionInside().Match(command).Groups[1].Value.Replace("pingpp_public.pem", PemFile, StringComparison.Ordinal);
        var (exit, value, error) = Shell.Run(transformation);
        Assert.True(exit == 0, error);
        Assert.DoesNotContain('\n', value);

        // 2. azd pastes it into main.parameters.json as text; 3. the result must parse as JSON.
        var substituted = AzdParameters.Substitute(File.ReadAllText(Path.Combine(RepositoryPaths.Infra, "main.parameters.json")), Environment(value));
        var parameters = JsonNode.Parse(substituted)!.AsObject();

        // 4. bicep build-params type-checks every value against main.bicep and emits what ARM receives.
        var built = BuildParams(AzdParameters.WithDeclaredTypes(parameters, CompiledTemplate.ForMain.Root));
        var delivered = built["parameters"]!["pingppWebhookPublicKey"]!["value"]!.GetValue<string>();

        // 5. The app's key parser reads the value the template puts in Pingpp__WebhookPublicKeys__0 as Ping++'s key.
        Assert.Equal("[parameters('pingppWebhookPublicKey')]", CompiledTemplate.ForMain.ModuleParameterRaw("api", "pingppWebhookPublicKey"));
        using var key = PemKey.LoadRsa(delivered, SettingNames.PingppWebhookPublicKeys0, requirePrivate: false);
        Assert.True(key.VerifyData(
            File.ReadAllBytes(RepositoryPaths.InPlace("tests", "TestData", "pingpp-vectors", "webhook1_body.json")),
            Convert.FromBase64String(File.ReadAllText(RepositoryPaths.InPlace("tests", "TestData", "pingpp-vectors", "webhook1_signature.b64")).Trim()),
            HashAlgorithmName.SHA256,
            RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void The_pem_text_itself_breaks_the_parameters_json_as_azd_substitutes_it()
    {
        var (_, pem, _) = Shell.Run($"cat {PemFile}");
        Assert.Contains('\n', pem.Trim());

        var substituted = AzdParameters.Substitute(File.ReadAllText(Path.Combine(RepositoryPaths.Infra, "main.parameters.json")), Environment(pem));

        Assert.ThrowsAny<JsonException>(() => JsonNode.Parse(substituted));
    }

    private static Dictionary<string, string> Environment(string webhookKey) => new(StringComparer.Ordinal)
    {
        ["AZURE_ENV_NAME"] = "refunds-test",
        ["AZURE_LOCATION"] = "eastus",
        ["AZURE_PRINCIPAL_ID"] = "00000000-0000-0000-0000-000000000000",
        ["PINGPP_WEBHOOK_PUBLIC_KEY"] = webhookKey,
    };

    private static JsonObject BuildParams(JsonObject parameters)
    {
        var work = Directory.CreateTempSubdirectory("refunds-infra-params-");
        try
        {
            var json = Path.Combine(work.FullName, "main.parameters.json");
            var bicepparam = Path.Combine(work.FullName, "main.bicepparam");
            var output = Path.Combine(work.FullName, "built.json");
            File.WriteAllText(json, parameters.ToJsonString());
            var decompile = BicepCli.Run("decompile-params", json, "--bicep-file", RepositoryPaths.MainBicep, "--outfile", bicepparam);
            Assert.Equal(0, decompile.ExitCode);
            BicepCli.Run("build-params", bicepparam, "--outfile", output).AssertClean("bicep build-params");
            return JsonNode.Parse(File.ReadAllText(output))!.AsObject();
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>The one documented way to set the key with azd (a code line of docs/deploy.md).</summary>
    private static string DocumentedCommand()
    {
        var lines = File.ReadAllLines(RepositoryPaths.InPlace("docs", "deploy.md"))
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("azd env set PINGPP_WEBHOOK_PUBLIC_KEY ", StringComparison.Ordinal))
            .Select(l => l.Split("  #")[0].Trim())
            .Distinct()
            .ToList();
        return Assert.Single(lines);
    }

    [GeneratedRegex(@"""\$\((.+)\)""")]
    private static partial Regex SubstitutionInside();
}
