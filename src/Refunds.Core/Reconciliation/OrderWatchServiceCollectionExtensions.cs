using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;
using Refunds.Core.Ledger;

namespace Refunds.Core.Reconciliation;

public static class OrderWatchServiceCollectionExtensions
{
    /// <summary>
    /// Registers the watch of finished orders: its due-time index (also as the ledger's <see cref="IOrderWatch"/>, so
    /// an order enters it when its last open work ends) and the re-checks, with validated options
    /// (<c>Reconciliation__WatchWindow</c>, <c>__RecheckSchedule</c>, <c>__RechecksPerRun</c>). Called by
    /// <see cref="ReconciliationServiceCollectionExtensions.AddReconciliation"/>, which provides its parts.
    /// </summary>
    public static IServiceCollection AddOrderWatch(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<OrderWatchOptions>()
            .Bind(configuration.GetSection(ReconciliationOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OrderWatchOptions>, OrderWatchOptionsValidator>());
        services.TryAddSingleton(sp => new OrderWatchIndex(
            sp.GetRequiredService<TableServiceClient>(),
            sp.GetRequiredService<IOptions<OrderWatchOptions>>().Value.Schedule(),
            sp.GetRequiredService<TimeProvider>(),
            sp.TableNames().ReconcileIndexTable,
            sp.TableNames().RefundLedgerTable));
        services.TryAddSingleton<IOrderWatch>(sp => sp.GetRequiredService<OrderWatchIndex>());
        services.TryAddSingleton<OrderWatchRechecks>();
        return services;
    }
}
