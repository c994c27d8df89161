using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refunds.Core.Anomalies;
using Refunds.Core.Configuration;
using Refunds.Core.Ledger;
using Refunds.Core.Refunds;
using Refunds.Core.Webhooks;

namespace Refunds.Core.Reconciliation;

public static class ReconciliationServiceCollectionExtensions
{
    /// <summary>
    /// Registers the reconciler, the abnormal-payment check (as the <see cref="IPaymentEventObserver"/>), their stores
    /// and validated options (<c>Reconciliation__*</c>, the order sweep and the watch of finished orders included, <c>Refunds__CreateGracePeriod</c>, <c>Anomalies__Mode</c>).
    /// Needs a <see cref="TableServiceClient"/>, a <see cref="QueueServiceClient"/> and the Ping++ client
    /// (<c>AddPingppClient</c>); adds the ledger and the refund queue unless registered.
    /// </summary>
    public static IServiceCollection AddReconciliation(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<ReconciliationOptions>()
            .Bind(configuration.GetSection(ReconciliationOptions.SectionName))
            .Configure(o =>
            {
                if (configuration[SettingNames.RefundsCreateGracePeriod.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal)] is { Length: > 0 } grace)
                {
                    o.CreateGracePeriod = TimeSpan.TryParse(grace, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : TimeSpan.Zero;
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ReconciliationOptions>, ReconciliationOptionsValidator>());
        services.AddOptions<AnomalyOptions>()
            .Bind(configuration.GetSection(AnomalyOptions.SectionName))
            .ValidateOnStart();

        services.AddRefundLedger(configuration);
        services.TryAddSingleton(sp => RefundRequestQueue.ForApp(sp.GetRequiredService<QueueServiceClient>(), configuration));
        services.TryAddSingleton(sp => new DiscrepancyStore(sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<TimeProvider>(), sp.TableNames().DiscrepanciesTable));
        services.TryAddSingleton(sp => new ReconcileStateStore(sp.GetRequiredService<TableServiceClient>(), sp.TableNames().ReconcileIndexTable));
        services.TryAddSingleton(sp => new AnomalyStore(sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<TimeProvider>(), sp.TableNames().AnomaliesTable));
        services.TryAddSingleton<ReconciliationMetrics>();
        services.TryAddSingleton<AnomalyResolver>();
        services.TryAddSingleton(sp => new UnplacedRefundStore(sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<TimeProvider>(), sp.TableNames().ReconcileIndexTable));
        services.TryAddSingleton<UnplacedRefundMetrics>();
        services.TryAddSingleton<UnplacedRefundPlacer>();
        services.TryAddSingleton<Reconciler>();
        services.AddOrderSweep(configuration);
        services.AddOrderWatch(configuration);

        // Replaces the webhook module's no-op default whichever registration runs first.
        services.RemoveAll<IPaymentEventObserver>();
        services.AddSingleton<IPaymentEventObserver, AnomalyPaymentEventObserver>();
        return services;
    }
}
