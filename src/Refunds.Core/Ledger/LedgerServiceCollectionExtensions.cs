using System.Diagnostics.Metrics;
using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Refunds.Core.Configuration;

namespace Refunds.Core.Ledger;

public static class LedgerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the refund ledger (table names from the <c>Storage__*</c> settings, <see cref="StorageTableOptions"/>) as <see cref="IRefundLedger"/> and as each of its parts
    /// (<see cref="IRequestStore"/>, <see cref="IRefundMerge"/>, <see cref="IOpenWorkIndex"/>: the same instance, so a
    /// test that replaces <see cref="IRefundLedger"/> replaces them all), with its counters on the container's
    /// <see cref="IMeterFactory"/> (the host registers one), the <see cref="IOrderWatch"/> if one is registered (reconciliation adds it) and the approval gate <see cref="IRequestAdmission"/> when one
    /// is registered (<c>AddRefundProcessing</c> registers it), unless registered. Needs a <see cref="TableServiceClient"/>.
    /// </summary>
    public static IServiceCollection AddRefundLedger(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSystemTime();
        services.AddStorageTableNames(configuration);
        services.TryAddSingleton<IRefundLedger>(sp => new RefundLedger(
            sp.GetRequiredService<TableServiceClient>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RefundLedger>>(),
            sp.TableNames().RefundLedgerTable,
            sp.TableNames().ReconcileIndexTable,
            sp.GetService<IMeterFactory>(),
            sp.GetService<IOrderWatch>(),
            sp.TableNames().RequestIndexTable,
            sp.GetService<IRequestAdmission>()));
        services.TryAddSingleton<IRequestStore>(sp => sp.GetRequiredService<IRefundLedger>());
        services.TryAddSingleton<IRefundMerge>(sp => sp.GetRequiredService<IRefundLedger>());
        services.TryAddSingleton<IOpenWorkIndex>(sp => sp.GetRequiredService<IRefundLedger>());
        return services;
    }
}
