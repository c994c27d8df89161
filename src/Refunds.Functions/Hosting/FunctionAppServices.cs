using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Refunds.Core.Pingpp;
using Refunds.Core.Refunds;
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

        services.TryAddSingleton<AppHealthCheck>();

        // ---- Teammates' registrations go here (one line each; each validates its own options on start) ----
        // Ping++ client and request signer (Refunds.Core/Pingpp, Refunds.Core/Signing):
        //     services.AddPingppClient(configuration);
        // Webhook receiver (Refunds.Core/Webhooks): verifier + WebhookEvents store:
        //     services.AddPingppWebhookReceiver(configuration);
        // Refund ledger, refund processor and reconciliation (Refunds.Core/Ledger, /Refunds, /Reconciliation):
        //     services.AddRefundLedger(configuration);
        // ------------------------------------------------------------------------------------------------------

        // ---- Refund requests (processor, poison, HTTP API, admin requeue); one block, see Refunds.Core/Refunds ----
        services.AddPingppClient(configuration);
        services.AddRefundProcessing(configuration);
        // ------------------------------------------------------------------------------------------------------

        return services;
    }
}
