using System.Text.Json.Serialization;
using System.Reflection;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Refunds.Core.Configuration;

namespace Refunds.Functions.Health;

/// <summary>What <c>GET /api/health</c> reports.</summary>
public sealed record AppHealth(string Status, string Version, IReadOnlyDictionary<string, string> Checks)
{
    [JsonIgnore]
    public bool IsHealthy => Status == Healthy;

    public const string Healthy = "healthy";
    public const string Unhealthy = "unhealthy";
}

/// <summary>
/// Checks that the Table service answers (never reports why beyond "unreachable": no endpoint, no message) and that no
/// setting is an unresolved Key Vault reference (names the settings only; the start-up log has the fix).
/// </summary>
public sealed partial class AppHealthCheck(
    TableServiceClient tables,
    UnresolvedSettingsReporter settings,
    TimeProvider timeProvider,
    ILogger<AppHealthCheck> logger)
{
    // A probe must answer before the platform's own probe timeout, whatever the SDK's retry policy would do.
    private static readonly TimeSpan StorageTimeout = TimeSpan.FromSeconds(5);

    public static string AppVersion { get; } =
        typeof(AppHealthCheck).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(AppHealthCheck).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    public async Task<AppHealth> CheckAsync(CancellationToken cancellationToken)
    {
        var tableStorage = await CheckTablesAsync(cancellationToken);
        var unresolved = settings.References;
        var settingsCheck = unresolved.Count == 0
            ? "ok"
            : "unresolved Key Vault reference: " + string.Join(", ", unresolved.Select(r => r.SettingName)) +
              $" (grant the app's identity '{UnresolvedKeyVaultReference.RequiredRole}' on the secret, make sure it exists, restart the app)";
        var healthy = tableStorage == "ok" && unresolved.Count == 0;
        return new AppHealth(
            healthy ? AppHealth.Healthy : AppHealth.Unhealthy,
            AppVersion,
            new Dictionary<string, string> { ["tableStorage"] = tableStorage, ["settings"] = settingsCheck });
    }

    private async Task<string> CheckTablesAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(StorageTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            // One page of the table list: a data-plane read that needs the same rights the app has, and that Azurite
            // supports (service properties are not implemented there).
            await foreach (var _ in tables.QueryAsync(maxPerPage: 1, cancellationToken: linked.Token).AsPages().WithCancellation(linked.Token))
            {
                break;
            }

            return "ok";
        }
        catch (RequestFailedException e)
        {
            LogStorageFailed(logger, e.Status, e.ErrorCode);
            return "unreachable";
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            LogStorageTimedOut(logger, StorageTimeout);
            return "unreachable";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Connection refused, DNS, credential failures: the exception type is enough to start from.
            LogStorageError(logger, e.GetType().FullName);
            return "unreachable";
        }
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "Health check: Table service answered {Status} {ErrorCode}")]
    private static partial void LogStorageFailed(ILogger logger, int status, string? errorCode);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "Health check: Table service did not answer within {Timeout}")]
    private static partial void LogStorageTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Warning, Message = "Health check: Table service unreachable ({ExceptionType})")]
    private static partial void LogStorageError(ILogger logger, string? exceptionType);
}
