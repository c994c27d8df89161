using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;
using Refunds.Core.Signing;

namespace Refunds.Core.Webhooks;

/// <summary>Fails startup with messages naming the settings: no key, an unusable key, a bad size limit.</summary>
public sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        var failures = new List<string>();
        if (options.WebhookPublicKeys.Count == 0)
        {
            failures.Add($"{WebhookOptions.KeySettingName(0)} is required: the Ping++ public key that webhook signatures are verified with.");
        }

        for (var i = 0; i < options.WebhookPublicKeys.Count; i++)
        {
            if (UnresolvedKeyVaultReference.TryDescribe(WebhookOptions.KeySettingName(i), options.WebhookPublicKeys[i], out var unresolved))
            {
                failures.Add(unresolved);
                continue;
            }

            try
            {
                PemKey.LoadRsa(options.WebhookPublicKeys[i], WebhookOptions.KeySettingName(i), requirePrivate: false).Dispose();
            }
            catch (KeyConfigurationException e)
            {
                failures.Add(e.Message);
            }
        }

        if (options.AllowUnsignedTestEvents && options.ExpectedLivemode != false)
        {
            // An unsigned event's livemode is the sender's own claim: with a live key that would let anyone write the ledger.
            failures.Add($"{SettingNames.PingppAllowUnsignedTestEvents} must be false unless {SettingNames.PingppApiKey} is a test key (sk_test_…): unsigned events could then change the live ledger.");
        }

        if (options.AppId is { Length: > 0 } appId && (!appId.StartsWith("app_", StringComparison.Ordinal) || appId.Any(char.IsWhiteSpace)))
        {
            failures.Add($"{SettingNames.PingppAppId} must be a Ping++ app id such as app_1Gqj58ynP0mHeX1q; got '{appId}'.");
        }

        if (options.MaxBodyBytes is < 1 or > WebhookOptions.MaxBodyBytesLimit)
        {
            failures.Add($"{WebhookOptions.SectionName}__{nameof(WebhookOptions.MaxBodyBytes)} must be between 1 and {WebhookOptions.MaxBodyBytesLimit}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
