using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;

namespace Refunds.Core.Callers;

/// <summary>Fails startup on a half-configured Entra ID (one of tenant and audience without the other) or unusable values, naming the setting.</summary>
public sealed class EntraOptionsValidator : IValidateOptions<EntraOptions>
{
    public ValidateOptionsResult Validate(string? name, EntraOptions options)
    {
        var failures = new List<string>();
        var tenant = !string.IsNullOrWhiteSpace(options.TenantId);
        var audience = !string.IsNullOrWhiteSpace(options.Audience);
        if (tenant && !audience)
        {
            failures.Add($"{SettingNames.EntraAudience} is required when {SettingNames.EntraTenantId} is set: the application (client) id of the API's app registration, which its tokens carry as aud.");
        }

        if (audience && !tenant)
        {
            failures.Add($"{SettingNames.EntraTenantId} is required when {SettingNames.EntraAudience} is set: the directory (tenant) id whose tokens are accepted. Leave both empty to accept keys only.");
        }

        if (options.AppServiceAuthentication && !(tenant && audience))
        {
            failures.Add($"{SettingNames.EntraAppServiceAuthentication} needs {SettingNames.EntraTenantId} and {SettingNames.EntraAudience}: the operators' tenant and the app registration they sign in to (infra/main.bicep sets all three).");
        }

        if (tenant && !Guid.TryParse(options.TenantId, out _))
        {
            failures.Add($"{SettingNames.EntraTenantId} must be the directory (tenant) id, a GUID; got '{options.TenantId}'.");
        }

        if (audience && options.Audience!.Any(char.IsWhiteSpace))
        {
            failures.Add($"{SettingNames.EntraAudience} must not contain whitespace; got '{options.Audience}'.");
        }

        if (!Uri.TryCreate(options.Instance, UriKind.Absolute, out var instance)
            || !(instance.Scheme == Uri.UriSchemeHttps || (instance.Scheme == Uri.UriSchemeHttp && instance.IsLoopback))
            || instance.Query.Length > 0 || instance.Fragment.Length > 0)
        {
            failures.Add($"{SettingNames.EntraInstance} must be the cloud's https login endpoint (default {EntraOptions.DefaultInstance}; http only for a loopback test authority); got '{options.Instance}'.");
        }

        foreach (var (setting, role) in new[] { (SettingNames.EntraSubmitRole, options.SubmitRole), (SettingNames.EntraOperateRole, options.OperateRole) })
        {
            if (string.IsNullOrWhiteSpace(role) || role.Any(char.IsWhiteSpace))
            {
                failures.Add($"{setting} must be an app role value without whitespace; got '{role}'.");
            }
        }

        if (string.Equals(options.SubmitRole, options.OperateRole, StringComparison.Ordinal))
        {
            failures.Add($"{SettingNames.EntraSubmitRole} and {SettingNames.EntraOperateRole} must differ ('{options.SubmitRole}'): a submitter must not be an operator by the same role.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
