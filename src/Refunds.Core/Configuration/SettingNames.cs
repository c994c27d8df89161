namespace Refunds.Core.Configuration;

/// <summary>
/// Every application setting the function app reads, by its app-setting name (double underscore = configuration
/// section separator). This list is the contract between the code, <c>local.settings.sample.json</c> and the Bicep
/// app settings in <c>infra/</c>; a test holds the three together.
/// </summary>
public static class SettingNames
{
    // Ping++ API client and request signing.
    public const string PingppApiBase = "Pingpp__ApiBase";
    public const string PingppApiKey = "Pingpp__ApiKey";
    public const string PingppSigningKeyId = "Pingpp__SigningKeyId";
    public const string PingppSigningPrivateKey = "Pingpp__SigningPrivateKey";
    public const string PingppRequestTimeout = "Pingpp__RequestTimeout";
    public const string PingppMaxReadRetries = "Pingpp__MaxReadRetries";

    // Webhooks.
    public const string PingppWebhookPublicKeys0 = "Pingpp__WebhookPublicKeys__0";
    public const string PingppAllowUnsignedTestEvents = "Pingpp__AllowUnsignedTestEvents";
    public const string PingppAppId = "Pingpp__AppId";

    // Refund processing. Flat names: they are used in trigger binding expressions (%RefundRequestsQueue%).
    public const string RefundRequestsQueue = "RefundRequestsQueue";
    public const string RefundsCreateGracePeriod = "Refunds__CreateGracePeriod";

    // Reconciliation and abnormal payments.
    public const string ReconcileSchedule = "ReconcileSchedule";
    public const string ReconciliationMaxOrdersPerRun = "Reconciliation__MaxOrdersPerRun";
    public const string ReconciliationMaxRunDuration = "Reconciliation__MaxRunDuration";
    public const string ReconciliationMaxConcurrency = "Reconciliation__MaxConcurrency";
    public const string ReconciliationMaxPlacementsPerRun = "Reconciliation__MaxPlacementsPerRun";
    public const string ReconciliationSweepEnabled = "Reconciliation__SweepEnabled";
    public const string ReconciliationSweepWindow = "Reconciliation__SweepWindow";
    public const string ReconciliationSweepPagesPerRun = "Reconciliation__SweepPagesPerRun";
    public const string ReconciliationSweepInterval = "Reconciliation__SweepInterval";
    public const string ReconciliationWatchWindow = "Reconciliation__WatchWindow";
    public const string ReconciliationRecheckSchedule = "Reconciliation__RecheckSchedule";
    public const string ReconciliationRechecksPerRun = "Reconciliation__RechecksPerRun";
    public const string AnomaliesMode = "Anomalies__Mode";

    // The operator API (Refunds.Core/Operations).
    public const string OperationsStuckAfter = "Operations__StuckAfter";
    // Approval limits (Refunds.Core/Operations, ApprovalOptions), in fen.
    public const string ApprovalMaxAmountPerRequest = "Approval__MaxAmountPerRequest";
    public const string ApprovalMaxAmountPerDay = "Approval__MaxAmountPerDay";

    // Entra ID for machine callers (Refunds.Core/Callers): off while tenant and audience are empty.
    public const string EntraInstance = "Entra__Instance";
    public const string EntraTenantId = "Entra__TenantId";
    public const string EntraAudience = "Entra__Audience";
    public const string EntraSubmitRole = "Entra__SubmitRole";
    public const string EntraOperateRole = "Entra__OperateRole";
    public const string EntraAppServiceAuthentication = "Entra__AppServiceAuthentication";
}
