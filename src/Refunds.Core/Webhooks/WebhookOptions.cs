namespace Refunds.Core.Webhooks;

/// <summary>Webhook settings, bound from the <c>Pingpp</c> section (<c>Pingpp__WebhookPublicKeys__0</c>, …).</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Pingpp";

    /// <summary>The largest body accepted: Ping++ events are a few KiB; 1 MiB leaves room without inviting abuse.</summary>
    public const int MaxBodyBytesLimit = 1024 * 1024;

    /// <summary>
    /// Ping++ public keys (PEM text, a single line with <c>\n</c> escapes, or a path to a PEM file). Several keys
    /// allow rotation: an event is valid when any of them verifies it. At least one is required.
    /// </summary>
    public List<string> WebhookPublicKeys { get; set; } = [];

    /// <summary>
    /// Accept events that arrive without a signature header, but only when they say <c>livemode:false</c>.
    /// Old Ping++ test mode sent unsigned events; never enable this for a live account.
    /// </summary>
    public bool AllowUnsignedTestEvents { get; set; }

    /// <summary>
    /// Optional: the Ping++ app id (<c>app_…</c>, setting <c>Pingpp__AppId</c>) this deployment serves. When set, an
    /// event whose object names another app is stored as refused and never applied.
    /// </summary>
    public string? AppId { get; set; }

    /// <summary>
    /// The mode the app runs in, derived from the secret key (<c>Pingpp__ApiKey</c>: <c>sk_live_</c> → live) when the
    /// options are registered, not a setting of its own. An event of the other mode is stored as refused. Null (no
    /// secret key known) checks nothing; the Ping++ client's validator requires a key with a known prefix.
    /// </summary>
    public bool? ExpectedLivemode { get; set; }

    /// <summary>
    /// True when the app's secret key (<c>Pingpp__ApiKey</c>) gives no mode, e.g. an unresolved Key Vault reference:
    /// the app cannot tell a live event from a test one, so events that would change the ledger are stored and
    /// answered "retry later" (Ping++ redelivers; reconciliation covers the rest) until the key resolves. Fail closed:
    /// nothing is applied in a mode nobody checked. Derived when the options are registered, not a setting of its own.
    /// </summary>
    public bool ModeUnresolved { get; set; }

    /// <summary>Bodies larger than this are refused with 413 before any work. At most <see cref="MaxBodyBytesLimit"/>.</summary>
    public int MaxBodyBytes { get; set; } = MaxBodyBytesLimit;

    /// <summary>The app-setting name of the key at <paramref name="index"/>, for error messages.</summary>
    public static string KeySettingName(int index) => $"{SectionName}__{nameof(WebhookPublicKeys)}__{index}";
}
