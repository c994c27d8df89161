using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;
using Refunds.Core.Ledger;
using Refunds.Core.Operations;

namespace Refunds.Core.Refunds;

public static class RefundProcessingServiceCollectionExtensions
{
    /// <summary>
    /// Registers the refund processor, the dead-letter recorder, the HTTP intake and read side, the operator actions and
    /// approval limits (<see cref="OperationsServiceCollectionExtensions.AddRefundOperations"/>), the live Ping++ view (options from section <c>PingppLiveView</c>), the refund queue
    /// (name from <c>RefundRequestsQueue</c>, default <c>refund-requests</c>) and the ledger (unless registered).
    /// Needs <see cref="TableServiceClient"/>, <see cref="QueueServiceClient"/> and the Ping++ client in the container.
    /// Options from section <c>Refunds</c>, validated on start.
    /// </summary>
    public static IServiceCollection AddRefundProcessing(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<RefundProcessingOptions>()
            .Bind(configuration.GetSection(RefundProcessingOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RefundProcessingOptions>, RefundProcessingOptionsValidator>());
        services.AddRefundLedger(configuration);
        services.TryAddSingleton(sp => RefundRequestQueue.ForApp(sp.GetRequiredService<QueueServiceClient>(), configuration));
        services.TryAddSingleton<RefundMetrics>();
        // Transient: it holds the typed Ping++ HttpClient, whose handlers the factory rotates.
        services.TryAddTransient<RefundProcessor>();
        services.TryAddSingleton<DeadLetterRecorder>();
        services.TryAddSingleton<RefundRequestIntake>();
        services.AddRefundOperations(configuration);
        services.TryAddSingleton<RefundQueries>();
        services.AddOptions<PingppLiveViewOptions>()
            .Bind(configuration.GetSection(PingppLiveViewOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PingppLiveViewOptions>, PingppLiveViewOptionsValidator>());
        // Transient, as the processor: it holds the typed Ping++ HttpClient.
        services.TryAddTransient<PingppLiveView>();
        return services;
    }
}
