namespace Refunds.Core.Callers;

/// <summary>
/// Entra ID bearer tokens for machine callers (section <c>Entra</c>). Off while <see cref="TenantId"/> and
/// <see cref="Audience"/> are empty (the default: local runs use keys); on when both are set.
/// </summary>
public sealed class EntraOptions
{
    public const string SectionName = "Entra";
    public const string DefaultInstance = "https://login.microsoftonline.com/";
    public const string DefaultSubmitRole = "Refunds.Submit";
    public const string DefaultOperateRole = "Refunds.Operate";

    /// <summary>The login endpoint of the cloud (Azure China: <c>https://login.chinacloudapi.cn/</c>).</summary>
    public string Instance { get; set; } = DefaultInstance;

    /// <summary>The directory (tenant) id, a GUID: tokens must come from this tenant.</summary>
    public string? TenantId { get; set; }

    /// <summary>The <c>aud</c> tokens must carry: the application (client) id of the API's app registration (v2 tokens).</summary>
    public string? Audience { get; set; }

    /// <summary>The app role that may submit refund requests (and read them).</summary>
    public string SubmitRole { get; set; } = DefaultSubmitRole;

    /// <summary>The app role that may take operator actions (requeue) and read.</summary>
    public string OperateRole { get; set; } = DefaultOperateRole;

    /// <summary>
    /// App Service Authentication (Entra ID sign-in for the console) is configured on the app: set by infra/app/api.bicep
    /// with authsettingsV2. Its principal header is trusted only while the platform's <c>WEBSITE_AUTH_ENABLED</c> says so too.
    /// </summary>
    public bool AppServiceAuthentication { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(TenantId) && !string.IsNullOrWhiteSpace(Audience);

    /// <summary>OpenID Connect metadata of the tenant's v2 endpoint (issuer and signing keys).</summary>
    public Uri MetadataAddress => new(new Uri(Instance.EndsWith('/') ? Instance : Instance + "/"), $"{TenantId}/v2.0/.well-known/openid-configuration");

    /// <summary>Plain http is allowed for a loopback authority only (tests).</summary>
    public bool IsLoopbackInstance => Uri.TryCreate(Instance, UriKind.Absolute, out var uri) && uri.IsLoopback;
}
