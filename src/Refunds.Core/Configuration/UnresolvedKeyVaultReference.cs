using Microsoft.Extensions.Configuration;

namespace Refunds.Core.Configuration;

/// <summary>
/// A setting that still holds an App Service Key Vault reference (<c>@Microsoft.KeyVault(...)</c>). When App Service
/// cannot read the secret (no role, no secret, no network path), it hands the app the reference text itself; used as a
/// value, that text would go out as the Ping++ API key and fail with 401. The message names the setting, the vault, the
/// secret and the fix; it never holds a secret (the reference is an address, not a value).
/// </summary>
public sealed record UnresolvedKeyVaultReference(string SettingName, string? VaultName, string? SecretName)
{
    public const string Prefix = "@Microsoft.KeyVault(";

    /// <summary>The role the app's identity needs on the secret for App Service to resolve the reference.</summary>
    public const string RequiredRole = "Key Vault Secrets User";

    public static bool IsReference(string? value) =>
        value is not null && value.TrimStart().StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Parses both documented forms: <c>SecretUri=https://{vault}.vault.../secrets/{name}[/{version}]</c> and
    /// <c>VaultName={vault};SecretName={name}[;SecretVersion=...]</c>. Parts it cannot read stay null.
    /// </summary>
    public static UnresolvedKeyVaultReference Parse(string settingName, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(settingName);
        ArgumentNullException.ThrowIfNull(value);
        var inner = value.Trim();
        inner = inner[Math.Min(Prefix.Length, inner.Length)..].TrimEnd(')');
        string? vault = null, secret = null;
        foreach (var part in inner.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var key = part[..equals].Trim();
            var text = part[(equals + 1)..].Trim();
            if (key.Equals("SecretUri", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(text, UriKind.Absolute, out var uri))
            {
                vault = uri.Host.Split('.')[0];
                var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
                secret = segments.Length >= 2 && segments[0].Equals("secrets", StringComparison.OrdinalIgnoreCase) ? segments[1] : null;
            }
            else if (key.Equals("VaultName", StringComparison.OrdinalIgnoreCase))
            {
                vault = text;
            }
            else if (key.Equals("SecretName", StringComparison.OrdinalIgnoreCase))
            {
                secret = text;
            }
        }

        return new UnresolvedKeyVaultReference(settingName, NullIfEmpty(vault), NullIfEmpty(secret));
    }

    /// <summary>Every configuration value that is still a reference, by app-setting name (<c>:</c> written as <c>__</c>).</summary>
    public static IReadOnlyList<UnresolvedKeyVaultReference> FindIn(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return [.. configuration.AsEnumerable()
            .Where(pair => IsReference(pair.Value))
            .Select(pair => Parse(pair.Key.Replace(":", "__", StringComparison.Ordinal), pair.Value!))
            .DistinctBy(reference => reference.SettingName, StringComparer.OrdinalIgnoreCase)
            .OrderBy(reference => reference.SettingName, StringComparer.Ordinal)];
    }

    /// <summary>True (with the message) when <paramref name="value"/> of setting <paramref name="settingName"/> is still a reference.</summary>
    public static bool TryDescribe(string settingName, string? value, out string message)
    {
        message = IsReference(value) ? Parse(settingName, value!).Message : string.Empty;
        return message.Length > 0;
    }

    public string Message
    {
        get
        {
            var secret = SecretName ?? "<secret>";
            var vault = VaultName ?? "<vault>";
            return $"{SettingName} still holds the Key Vault reference to secret '{secret}' in vault '{vault}': App Service " +
                $"could not read the secret and passed the reference text instead. Check that the secret exists " +
                $"(az keyvault secret set --vault-name {vault} --name {secret} --value ...) and that the app's identity has " +
                $"the '{RequiredRole}' role on it (this template grants it with pingppApiKeySecretExists=true: " +
                "azd env set PINGPP_API_KEY_SECRET_EXISTS true && azd provision), then restart the app " +
                "(az functionapp restart): App Service resolves references when the app starts or its configuration changes.";
        }
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
