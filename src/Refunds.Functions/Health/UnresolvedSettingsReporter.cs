using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Refunds.Core.Configuration;

namespace Refunds.Functions.Health;

/// <summary>
/// The settings that still hold an unresolved Key Vault reference, read once at start (App Service resolves references
/// only when the app starts or its configuration changes, so the list cannot change while the app runs). Logged at
/// start with the full fix (vault, secret, role); <c>/api/health</c> names only the settings.
/// </summary>
public sealed partial class UnresolvedSettingsReporter(IReadOnlyList<UnresolvedKeyVaultReference> references, ILogger<UnresolvedSettingsReporter> logger)
    : IHostedService
{
    public IReadOnlyList<UnresolvedKeyVaultReference> References { get; } = references;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var reference in References)
        {
            LogUnresolved(logger, reference.SettingName, reference.Message);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 9010, Level = LogLevel.Critical, Message = "Setting {SettingName} is an unresolved Key Vault reference: {Fix}")]
    private static partial void LogUnresolved(ILogger logger, string settingName, string fix);
}
