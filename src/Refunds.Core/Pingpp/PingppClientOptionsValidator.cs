using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;
using Refunds.Core.Signing;

namespace Refunds.Core.Pingpp;

/// <summary>Fails startup with messages that name the app setting to fix (never its value when it is a secret).</summary>
public sealed class PingppClientOptionsValidator : IValidateOptions<PingppClientOptions>
{
    public ValidateOptionsResult Validate(string? name, PingppClientOptions options)
    {
        var failures = new List<string>();

        // An unresolved Key Vault reference is refused whatever the setting: its text is an address, not the value.
        foreach (var (setting, value) in new[]
        {
            (SettingNames.PingppApiBase, options.ApiBase),
            (SettingNames.PingppApiKey, options.ApiKey),
            (SettingNames.PingppSigningKeyId, options.SigningKeyId),
            (SettingNames.PingppSigningPrivateKey, options.SigningPrivateKey),
        })
        {
            if (UnresolvedKeyVaultReference.TryDescribe(setting, value, out var unresolved))
            {
                failures.Add(unresolved);
            }
        }

        if (failures.Count > 0)
        {
            return ValidateOptionsResult.Fail(failures);
        }

        if (string.IsNullOrWhiteSpace(options.ApiBase))
        {
            failures.Add($"{SettingNames.PingppApiBase} is required (e.g. https://api.pingxx.com).");
        }
        else if (!Uri.TryCreate(options.ApiBase, UriKind.Absolute, out var apiBase) || (apiBase.Scheme != Uri.UriSchemeHttps && apiBase.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"{SettingNames.PingppApiBase} must be an absolute http(s) URL such as https://api.pingxx.com; got '{options.ApiBase}'.");
        }
        else if (apiBase.AbsolutePath != "/" || apiBase.Query.Length > 0 || apiBase.Fragment.Length > 0 || apiBase.UserInfo.Length > 0)
        {
            // The signed request URI is the path on the wire; a base path would be signed too and break behind proxies.
            failures.Add($"{SettingNames.PingppApiBase} must be scheme://host[:port] without path, query or user info (the client adds /v1/...); got '{options.ApiBase}'.");
        }

        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            failures.Add($"{SettingNames.PingppApiKey} is required (sk_live_... or sk_test_...).");
        }
        else if (options.ApiKey.Any(char.IsWhiteSpace))
        {
            failures.Add($"{SettingNames.PingppApiKey} contains whitespace; paste the key without spaces or line breaks.");
        }
        else if (PingppKeyMode.IsLive(options.ApiKey) is null)
        {
            // The mode decides which events are applied and whether plain http is allowed: it must be known.
            failures.Add($"{SettingNames.PingppApiKey} must be a Ping++ secret key starting with sk_live_ or sk_test_ (or a restricted rk_live_ / rk_test_ key).");
        }

        if (PingppKeyMode.MayBeLive(options.ApiKey) && Uri.TryCreate(options.ApiBase, UriKind.Absolute, out var liveBase) && liveBase.Scheme != Uri.UriSchemeHttps)
        {
            failures.Add($"{SettingNames.PingppApiBase} must use https unless {SettingNames.PingppApiKey} is a test key (sk_test_…); got '{options.ApiBase}'.");
        }

        var hasKeyId = !string.IsNullOrWhiteSpace(options.SigningKeyId);
        var hasPem = !string.IsNullOrWhiteSpace(options.SigningPrivateKey);
        if (hasKeyId && hasPem)
        {
            failures.Add($"Set exactly one of {SettingNames.PingppSigningKeyId} (Key Vault, production) and {SettingNames.PingppSigningPrivateKey} (PEM, local runs); both are set.");
        }
        else if (!hasKeyId && !hasPem)
        {
            failures.Add($"{SettingNames.PingppSigningKeyId} (Key Vault, production) or {SettingNames.PingppSigningPrivateKey} (PEM, local runs) is required: Ping++ rejects unsigned requests.");
        }
        else if (hasKeyId)
        {
            Collect(failures, () => KeyVaultRequestSigner.ParseKeyId(options.SigningKeyId, SettingNames.PingppSigningKeyId));
        }
        else
        {
            Collect(failures, () => PemKey.LoadRsa(options.SigningPrivateKey, SettingNames.PingppSigningPrivateKey, requirePrivate: true).Dispose());
        }

        if (options.RequestTimeout <= TimeSpan.Zero || options.RequestTimeout > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{SettingNames.PingppRequestTimeout} must be positive and at most 00:05:00; got {options.RequestTimeout}.");
        }

        if (options.SignTimeout <= TimeSpan.Zero || options.SignTimeout > TimeSpan.FromMinutes(2))
        {
            failures.Add($"Pingpp SignTimeout must be positive and at most 00:02:00; got {options.SignTimeout}.");
        }

        if (options.MaxReadRetries is < 0 or > 10)
        {
            failures.Add($"{SettingNames.PingppMaxReadRetries} must be between 0 and 10; got {options.MaxReadRetries}.");
        }

        if (options.ReadRetryBaseDelay < TimeSpan.Zero || options.ReadRetryMaxDelay < options.ReadRetryBaseDelay)
        {
            failures.Add("Pingpp read retry delays must be non-negative with ReadRetryMaxDelay >= ReadRetryBaseDelay.");
        }

        if (options.MaxResponseBytes is < 16 * 1024 or > 16 * 1024 * 1024)
        {
            failures.Add($"{PingppClientOptions.SectionName}__{nameof(PingppClientOptions.MaxResponseBytes)} must be between 16384 and 16777216; got {options.MaxResponseBytes}.");
        }

        if (options.MaxListPages < 1)
        {
            failures.Add("Pingpp MaxListPages must be at least 1.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Collect(List<string> failures, Action check)
    {
        try
        {
            check();
        }
        catch (KeyConfigurationException ex)
        {
            failures.Add(ex.Message);
        }
    }
}
