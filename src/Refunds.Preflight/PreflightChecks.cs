using System.Text.Json.Nodes;
using Refunds.Core.Configuration;
using Refunds.Core.Pingpp;
using Refunds.Core.Signing;

namespace Refunds.Preflight;

/// <summary>The checks of <c>scripts/preflight.sh</c>, in the order they are printed.</summary>
public static class PreflightChecks
{
    private const string WebhookKeyVariable = "PINGPP_WEBHOOK_PUBLIC_KEY";

    public static IReadOnlyList<Finding> Run(DeploymentInputs inputs, IReadOnlyDictionary<string, string> environment)
    {
        var findings = new List<Finding>();
        findings.Add(inputs.TemplateDiagnostics.Count == 0
            ? new(Severity.Ok, "template", "infra/main.bicep builds offline without warnings")
            : new(Severity.Problem, "template", "bicep build: " + string.Join(" | ", inputs.TemplateDiagnostics)));
        findings.AddRange(Parameters(inputs, environment));
        findings.AddRange(FlexConsumption(inputs));
        if (inputs.Parameters is not null)
        {
            findings.Add(WebhookKey(inputs));
            findings.AddRange(AppSettings(inputs));
            findings.Add(ApiKeyReference(inputs));
            findings.AddRange(CloudAndNetwork(inputs));
            findings.Add(VaultCreateMode(inputs));
        }

        return findings;
    }

    private static IEnumerable<Finding> Parameters(DeploymentInputs inputs, IReadOnlyDictionary<string, string> environment)
    {
        if (inputs.Parameters is null)
        {
            var culprits = inputs.VariableOf.Values
                .Where(v => environment.TryGetValue(v, out var value) && value.IndexOfAny(['\n', '\r', '"', '\\']) >= 0)
                .ToList();
            yield return new(Severity.Problem, "parameters",
                $"infra/main.parameters.json is not JSON once azd pastes the values in ({inputs.ParametersError})." +
                (culprits.Count == 0 ? string.Empty : $" {string.Join(", ", culprits)} holds a line break, quote or backslash: pass it as one line of base64 (`azd env set {culprits[0]} \"$(base64 -w0 <file>)\"`)."));
            yield break;
        }

        var empty = (inputs.Template["parameters"]?.AsObject() ?? [])
            .Where(p => p.Value?["defaultValue"] is null && string.IsNullOrEmpty(inputs.Text(p.Key)))
            .Select(p => inputs.VariableOf.TryGetValue(p.Key, out var variable) ? $"{p.Key} (azd env set {variable} ...)" : p.Key)
            .ToList();
        if (empty.Count > 0)
        {
            yield return new(Severity.Problem, "parameters", "required and empty: " + string.Join(", ", empty));
        }

        yield return inputs.ParameterDiagnostics.Count == 0
            ? new(Severity.Ok, "parameters", "azd's substitution gives valid JSON and bicep build-params accepts every value")
            : new(Severity.Problem, "parameters", "bicep build-params: " + string.Join(" | ", inputs.ParameterDiagnostics));

        var maximum = inputs.Number("maximumInstanceCount");
        if (maximum is null)
        {
            yield break; // not a number: build-params has reported it above
        }

        yield return maximum >= FlexConsumptionRules.MinimumMaximumInstanceCount
            ? new(Severity.Ok, "scale", $"maximumInstanceCount {maximum} (per function scale group; Ping++ concurrency is bounded by host.json)")
            : new(Severity.Problem, "scale", $"maximumInstanceCount {maximum} is below {FlexConsumptionRules.MinimumMaximumInstanceCount}, the lowest value Microsoft documents for every region (azd env set MAXIMUM_INSTANCE_COUNT 40)");
    }

    private static IEnumerable<Finding> FlexConsumption(DeploymentInputs inputs)
    {
        var sites = inputs.ResourcesOfType("Microsoft.Web/sites");
        if (sites.Count == 0)
        {
            yield return new(Severity.Problem, "flex", "no Microsoft.Web/sites in the compiled template");
            yield break;
        }

        var rejected = new List<string>();
        foreach (var site in sites)
        {
            var properties = site["properties"]?.AsObject() ?? [];
            var siteConfig = properties["siteConfig"]?.AsObject() ?? [];
            rejected.AddRange(properties.Select(p => p.Key).Concat(siteConfig.Select(p => p.Key))
                .Where(FlexConsumptionRules.RejectedSiteProperties.ContainsKey));
            rejected.AddRange(AppSettingNames(site).Where(FlexConsumptionRules.RejectedAppSettings.ContainsKey));
        }

        yield return rejected.Count == 0
            ? new(Severity.Ok, "flex", "no site property or app setting that Flex Consumption rejects or deprecates")
            : new(Severity.Problem, "flex", "Flex Consumption rejects or deprecates: " + string.Join(", ", rejected.Distinct()) + " (infra/README.md)");
    }

    private static Finding WebhookKey(DeploymentInputs inputs)
    {
        try
        {
            using var key = PemKey.LoadRsa(inputs.Text("pingppWebhookPublicKey"), SettingNames.PingppWebhookPublicKeys0, requirePrivate: false);
            return new(Severity.Ok, "webhook key", $"{SettingNames.PingppWebhookPublicKeys0} reads as a {key.KeySize}-bit RSA public key ({PemKey.Fingerprint(key)})");
        }
        catch (KeyConfigurationException e)
        {
            return new(Severity.Problem, "webhook key", $"{e.Message} Set it with: azd env set {WebhookKeyVariable} \"$(base64 -w0 pingpp_public.pem)\"");
        }
    }

    /// <summary>Every setting the app reads in Azure is set by the template, and the values from parameters pass the app's own validators.</summary>
    private static IEnumerable<Finding> AppSettings(DeploymentInputs inputs)
    {
        var set = inputs.ResourcesOfType("Microsoft.Web/sites").SelectMany(AppSettingNames).ToHashSet(StringComparer.Ordinal);
        var required = typeof(SettingNames).GetFields()
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Where(name => name != SettingNames.PingppSigningPrivateKey) // local runs only; Azure signs through Key Vault
            .Append("AzureWebJobsStorage__blobServiceUri")
            .Append("AzureWebJobsStorage__queueServiceUri")
            .Append("AzureWebJobsStorage__tableServiceUri");
        var missing = required.Where(name => !set.Contains(name)).ToList();
        yield return missing.Count == 0
            ? new(Severity.Ok, "app settings", $"the template sets all {set.Count} settings the app reads in Azure")
            : new(Severity.Problem, "app settings", "not set by the template: " + string.Join(", ", missing));

        // The values Key Vault or ARM supply at runtime are stood in for; everything from parameters is checked for real.
        var options = new PingppClientOptions
        {
            ApiBase = inputs.Text("pingppApiBase"),
            ApiKey = "sk_live_key_from_vault",
            SigningKeyId = "https://preflight.vault.azure.net/keys/pingpp-merchant-signing/0123456789abcdef0123456789abcdef",
        };
        var failures = new List<string>();
        if (TimeSpan.TryParse(inputs.Text("pingppRequestTimeout"), System.Globalization.CultureInfo.InvariantCulture, out var timeout))
        {
            options.RequestTimeout = timeout;
        }
        else
        {
            failures.Add($"{SettingNames.PingppRequestTimeout} '{inputs.Text("pingppRequestTimeout")}' is not a TimeSpan (hh:mm:ss)");
        }

        options.MaxReadRetries = (int)(inputs.Number("pingppMaxReadRetries") ?? options.MaxReadRetries);
        var result = new PingppClientOptionsValidator().Validate(null, options);
        failures.AddRange(result.Failures ?? []);
        if (failures.Count > 0)
        {
            yield return new(Severity.Problem, "app settings", string.Join(" ", failures));
        }
    }

    private static Finding ApiKeyReference(DeploymentInputs inputs)
    {
        var written = !string.IsNullOrEmpty(inputs.Text("pingppApiKey"));
        var exists = inputs.Flag("pingppApiKeySecretExists");
        return written || exists
            ? new(Severity.Ok, "api key", $"{SettingNames.PingppApiKey}: the secret {(written ? "is written by this deployment" : "exists (you said so)")} and the app gets '{UnresolvedKeyVaultReference.RequiredRole}' on it")
            : new(Severity.ToDo, "api key",
                $"{SettingNames.PingppApiKey} will stay an unresolved Key Vault reference (no secret yet, so no '{UnresolvedKeyVaultReference.RequiredRole}' role): the app starts, /api/health answers 503 and no refund is sent. " +
                "After azd up: az keyvault secret set --vault-name <AZURE_KEY_VAULT_NAME> --name pingpp-api-key --value 'sk_live_...'; " +
                "azd env set PINGPP_API_KEY_SECRET_EXISTS true; azd provision; az functionapp restart -g <rg> -n <AZURE_FUNCTION_APP_NAME>");
    }

    private static IEnumerable<Finding> CloudAndNetwork(DeploymentInputs inputs)
    {
        var hardCoded = inputs.Strings().Where(s => s.Contains("privatelink.", StringComparison.Ordinal) && !s.Contains("environment()", StringComparison.Ordinal)).ToList();
        yield return hardCoded.Count == 0
            ? new(Severity.Ok, "cloud", "every private DNS zone name comes from environment(), so it follows the cloud you deploy to")
            : new(Severity.Problem, "cloud", "private DNS zone names fixed to one cloud: " + string.Join(", ", hardCoded));

        var location = inputs.Text("location");
        if (location.StartsWith("china", StringComparison.OrdinalIgnoreCase))
        {
            yield return new(Severity.ToDo, "cloud",
                $"{location} is in Azure China: azd config set cloud.name AzureChinaCloud; az cloud set --name AzureChinaCloud; " +
                "check the region offers Flex Consumption: az functionapp list-flexconsumption-locations -o table");
        }

        if (inputs.Flag("networkIsolation"))
        {
            yield return new(Severity.ToDo, "providers",
                "networkIsolation: VNet integration on Flex Consumption needs the Microsoft.App resource provider: az provider register --namespace Microsoft.App");
        }
    }

    private static Finding VaultCreateMode(DeploymentInputs inputs) =>
        inputs.Text("keyVaultCreateMode") == "recover"
            ? new(Severity.ToDo, "key vault", "KEY_VAULT_CREATE_MODE=recover brings back the soft-deleted vault (with the signing key Ping++ knows). It fails if no deleted vault of that name exists: set it back after this provision (azd env set KEY_VAULT_CREATE_MODE default)")
            : new(Severity.Ok, "key vault", "creates the vault; after azd down the vault stays soft-deleted 90 days: redeploy with azd env set KEY_VAULT_CREATE_MODE recover (docs/deploy.md)");

    private static IEnumerable<string> AppSettingNames(JsonObject site) =>
        (site["properties"]?["siteConfig"]?["appSettings"]?.AsArray() ?? [])
            .Select(s => s?["name"]?.GetValue<string>())
            .OfType<string>();
}
