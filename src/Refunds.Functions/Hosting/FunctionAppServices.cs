using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refunds.Core.Callers;
using Refunds.Core.Configuration;
using Refunds.Core.Ledger;
using Refunds.Core.Operations;
using Refunds.Core.Pingpp;
using Refunds.Core.Reconciliation;
using Refunds.Core.Refunds;
using Refunds.Core.Webhooks;
using Refunds.Functions.Health;
using Refunds.Functions.Refunds;
using Refunds.Functions.Security;

namespace Refunds.Functions.Hosting;

/// <summary>
/// Every service registration of the function app. <c>Program.cs</c> (the real worker) and <c>Refunds.DevHost</c>
/// both call <see cref="AddRefundsFunctionApp"/>, so the function classes see identical wiring in both.
/// </summary>
public static class FunctionAppServices
{
    public static IServiceCollection AddRefundsFunctionApp(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        // Storage: a missing or malformed AzureWebJobsStorage stops the host at start with a message naming the setting.
        services.AddOptions<StorageOptions>()
            .Configure(options => options.Connection = StorageConnection.FromConfiguration(configuration))
            .ValidateOnStart();
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<StorageOptions>>().Value.Connection);
        services.TryAddSingleton<TableServiceClient>(sp => sp.GetRequiredService<StorageConnection>().CreateTableServiceClient());
        services.TryAddSingleton<QueueServiceClient>(sp => sp.GetRequiredService<StorageConnection>().CreateQueueServiceClient());

        services.AddRefundsTelemetry(configuration);

        // Settings App Service could not resolve from Key Vault: logged at start, reported by /api/health, refused by
        // the options validators (the app stays up so the health route can say what is missing).
        var unresolved = UnresolvedKeyVaultReference.FindIn(configuration);
        services.TryAddSingleton(sp => new UnresolvedSettingsReporter(unresolved, sp.GetRequiredService<ILogger<UnresolvedSettingsReporter>>()));
        services.AddHostedService(sp => sp.GetRequiredService<UnresolvedSettingsReporter>());
        services.TryAddSingleton<AppHealthCheck>();

        // Ping++ client and request signer; the refund ledger (table names from the Storage__* settings); the webhook
        // receiver that applies events to that ledger; reconciliation and the abnormal-payment check (which replaces
        // the webhook module's no-op payment observer); the refund processor, HTTP API and admin requeue.
        services.AddPingppClient(configuration);
        services.AddRefundLedger(configuration);
        services.AddPingppWebhooks(configuration);
        services.AddReconciliation(configuration);
        services.AddRefundProcessing(configuration);
        services.AddOperations(configuration);

        // Callers: Entra ID tokens (off unless Entra__TenantId and Entra__Audience are set) for the /api/entra/… twins
        // of the refund and manage routes, which reuse the key routes' function classes (docs/security.md).
        services.AddEntraCallers(configuration);
        services.TryAddScoped<EntraGate>();
        services.TryAddScoped<RefundApiFunctions>();
        services.TryAddScoped<RefundAdminFunctions>();
        services.TryAddScoped<Operations.WebhookEventFunctions>();
        services.TryAddScoped<Operations.OperatorFunctions>();

        return services;
    }
}
