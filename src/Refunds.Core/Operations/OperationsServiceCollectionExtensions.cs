using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;
using Refunds.Core.Ledger;

namespace Refunds.Core.Operations;

public static class OperationsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the approval gate (<see cref="IRequestAdmission"/>, limits from section <c>Approval</c>, validated on
    /// start) that the ledger consults for every new request, its daily counter (in the ledger table) and the operator
    /// actions (<see cref="RefundRequestOperations"/>). Needs <see cref="TableServiceClient"/>, the Ping++ client (for
    /// the amount of a whole-order refund) and the refund queue.
    /// </summary>
    public static IServiceCollection AddRefundOperations(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ApprovalOptions>()
            .Bind(configuration.GetSection(ApprovalOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ApprovalOptions>, ApprovalOptionsValidator>());
        services.AddStorageTableNames(configuration);
        services.TryAddSingleton(sp => new DailyApprovalCounter(sp.GetRequiredService<TableServiceClient>(), sp.TableNames().RefundLedgerTable));
        services.TryAddSingleton<RefundAmountResolver>();
        services.TryAddSingleton<IRequestAdmission, ApprovalGate>();
        services.TryAddSingleton<RefundRequestOperations>();
        return services;
    }
}
