using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Reconciliation;
using Refunds.Core.Refunds;
using Refunds.Core.Webhooks;
using Refunds.Functions.Health;

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

        services.TryAddSingleton(TimeProvider.System);

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

        // ---- Teammates' registrations go here (one line each; each validates its own options on start) ----
        // Ping++ client + request signer, the refund ledger (table names from the Storage__* settings, defaults =
        // the template's tables), and the webhook receiver (verifier + WebhookEvents store) that applies events to that ledger.
        services.AddPingppClient(configuration);
        services.AddStorageTableNames(configuration);
        services.TryAddSingleton<IRefundLedger>(sp => new RefundLedger(
            sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RefundLedger>>(),
            sp.TableNames().RefundLedgerTable, sp.TableNames().ReconcileIndexTable));
        services.AddPingppWebhooks(configuration);
        // Refund processor and reconciliation (Refunds.Core/Refunds, /Reconciliation):
        // Reconciliation + abnormal-payment check (also replaces the webhook module's no-op payment observer):
        services.AddReconciliation(configuration);
        // ------------------------------------------------------------------------------------------------------

        // ---- Refund requests (processor, poison, HTTP API, admin requeue); one block, see Refunds.Core/Refunds ----
        // (The Ping++ client and the ledger are registered above.)
        services.AddRefundProcessing(configuration);
        // ------------------------------------------------------------------------------------------------------

        return services;
    }
}
