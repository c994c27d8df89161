namespace Refunds.Preflight;

/// <summary>
/// Site properties and app settings a Flex Consumption app must not carry, from Microsoft's "Flex Consumption plan
/// deprecations" table (functions-app-settings) and the ARM error 51021 lists users report (infra/README.md cites both).
/// Property names are checked both on <c>properties</c> and on <c>properties.siteConfig</c>, case-insensitively: the
/// table writes <c>properties.ftpsState</c>, ARM names it <c>Site.SiteConfig.FtpsState</c>.
/// </summary>
public static class FlexConsumptionRules
{
    /// <summary>Property name → why Flex refuses it.</summary>
    public static IReadOnlyDictionary<string, string> RejectedSiteProperties { get; } =
        new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["ftpsState"] = "FTPS not supported (ARM 51021 names Site.SiteConfig.FtpsState)",
            ["use32BitWorkerProcess"] = "32-bit not supported (ARM 51021 names Site.SiteConfig.Use32BitWorkerProcess)",
            ["netFrameworkVersion"] = "replaced by functionAppConfig.runtime (ARM 51021 names Site.SiteConfig.NetFrameworkVersion)",
            ["functionsRuntimeScaleMonitoringEnabled"] = "not valid on Flex (ARM 51021 names Site.SiteConfig.FunctionsRuntimeScaleMonitoringEnabled)",
            ["preWarmedInstanceCount"] = "replaced by functionAppConfig always-ready instances (ARM 51021 names Site.SiteConfig.PreWarmedInstanceCount)",
            ["linuxFxVersion"] = "replaced by functionAppConfig.runtime (ARM 51021 names Site.SiteConfig.LinuxFxVersion)",
            ["windowsFxVersion"] = "not valid on Flex",
            ["alwaysOn"] = "not valid on Flex",
            ["functionAppScaleLimit"] = "renamed functionAppConfig.scaleAndConcurrency.maximumInstanceCount",
            ["javaVersion"] = "replaced by functionAppConfig.runtime",
            ["powerShellVersion"] = "replaced by functionAppConfig.runtime",
            ["isReserved"] = "not valid on Flex",
            ["isXenon"] = "not valid on Flex",
            ["containerSize"] = "renamed functionAppConfig.scaleAndConcurrency.instanceMemoryMB",
        };

    /// <summary>App setting name → why Flex refuses it or ignores it.</summary>
    public static IReadOnlyDictionary<string, string> RejectedAppSettings { get; } =
        new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["FUNCTIONS_EXTENSION_VERSION"] = "set by the platform",
            ["FUNCTIONS_WORKER_RUNTIME"] = "replaced by functionAppConfig.runtime.name",
            ["FUNCTIONS_WORKER_RUNTIME_VERSION"] = "replaced by functionAppConfig.runtime.version",
            ["FUNCTIONS_MAX_HTTP_CONCURRENCY"] = "replaced by functionAppConfig.scaleAndConcurrency.triggers",
            ["FUNCTIONS_WORKER_PROCESS_COUNT"] = "not valid on Flex",
            ["FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED"] = "not valid on Flex",
            ["WEBSITE_NODE_DEFAULT_VERSION"] = "replaced by functionAppConfig.runtime.version",
            ["WEBSITE_CONTENTAZUREFILECONNECTIONSTRING"] = "replaced by functionAppConfig.deployment",
            ["WEBSITE_CONTENTSHARE"] = "replaced by functionAppConfig.deployment",
        };

    /// <summary>Microsoft's lowest accepted maximumInstanceCount on every page read (infra/README.md).</summary>
    public const int MinimumMaximumInstanceCount = 40;
}
