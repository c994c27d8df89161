using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;

namespace Refunds.Core.Reconciliation;

public static class OrderSweepServiceCollectionExtensions
{
    /// <summary>
    /// Registers the order-list sweep with validated options (<c>Reconciliation__Sweep*</c>, <c>Pingpp__AppId</c>).
    /// Called by <see cref="ReconciliationServiceCollectionExtensions.AddReconciliation"/>, which provides its parts.
    /// </summary>
    public static IServiceCollection AddOrderSweep(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<OrderSweepOptions>()
            .Bind(configuration.GetSection(ReconciliationOptions.SectionName))
            .Configure(o => o.AppId = configuration[SettingNames.PingppAppId.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal)])
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OrderSweepOptions>, OrderSweepOptionsValidator>());
        services.TryAddSingleton(sp => new OrderSweepStore(sp.GetRequiredService<TableServiceClient>(), sp.TableNames().ReconcileIndexTable));
        services.TryAddSingleton<OrderSweepMetrics>();
        services.TryAddSingleton<OrderSweep>();
        return services;
    }
}
