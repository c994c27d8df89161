using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Refunds.Core.Configuration;

/// <summary>
/// The tables the app uses, bound from the section <c>Storage</c> (app settings <c>Storage__RefundLedgerTable</c> …).
/// Every default is the table the Bicep template creates (<see cref="StorageNames"/>), so Azure sets none of them;
/// they exist so that a run sharing a storage account (the end-to-end tests, on either host) can give the app tables
/// of its own through settings alone.
/// </summary>
public sealed class StorageTableOptions
{
    public const string SectionName = "Storage";

    public const string RefundLedgerTableSetting = "Storage__RefundLedgerTable";
    public const string ReconcileIndexTableSetting = "Storage__ReconcileIndexTable";
    public const string WebhookEventsTableSetting = "Storage__WebhookEventsTable";
    public const string DiscrepanciesTableSetting = "Storage__DiscrepanciesTable";
    public const string AnomaliesTableSetting = "Storage__AnomaliesTable";
    public const string RequestIndexTableSetting = "Storage__RequestIndexTable";
    public const string ProblemReviewsTableSetting = "Storage__ProblemReviewsTable";

    public string RefundLedgerTable { get; set; } = StorageNames.RefundLedgerTable;

    public string ReconcileIndexTable { get; set; } = StorageNames.ReconcileIndexTable;

    public string WebhookEventsTable { get; set; } = StorageNames.WebhookEventsTable;

    public string DiscrepanciesTable { get; set; } = StorageNames.DiscrepanciesTable;

    public string AnomaliesTable { get; set; } = StorageNames.AnomaliesTable;

    public string RequestIndexTable { get; set; } = StorageNames.RequestIndexTable;

    public string ProblemReviewsTable { get; set; } = StorageNames.ProblemReviewsTable;

    /// <summary>Each table's setting name and value, for validation and messages.</summary>
    public IEnumerable<(string Setting, string Table)> All() =>
    [
        (RefundLedgerTableSetting, RefundLedgerTable),
        (ReconcileIndexTableSetting, ReconcileIndexTable),
        (WebhookEventsTableSetting, WebhookEventsTable),
        (DiscrepanciesTableSetting, DiscrepanciesTable),
        (AnomaliesTableSetting, AnomaliesTable),
        (RequestIndexTableSetting, RequestIndexTable),
        (ProblemReviewsTableSetting, ProblemReviewsTable),
    ];
}

/// <summary>Fails startup naming the setting: Azure table names are 3-63 letters and digits, starting with a letter.</summary>
public sealed partial class StorageTableOptionsValidator : IValidateOptions<StorageTableOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageTableOptions options)
    {
        var failures = options.All()
            .Where(t => t.Table is null || !TableName().IsMatch(t.Table))
            .Select(t => $"{t.Setting} '{t.Table}' is not a table name: 3-63 letters and digits, starting with a letter.")
            .ToList();
        var shared = options.All().GroupBy(t => t.Table, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1 && g.Key is not null);
        failures.AddRange(shared.Select(g => $"{string.Join(" and ", g.Select(t => t.Setting))} name the same table '{g.Key}': each must have its own."));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex TableName();
}

public static class StorageTableServiceCollectionExtensions
{
    /// <summary>Registers <see cref="StorageTableOptions"/> from the <c>Storage</c> section, validated on start (once, whoever calls first).</summary>
    public static IServiceCollection AddStorageTableNames(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(d => d.ServiceType == typeof(IValidateOptions<StorageTableOptions>)))
        {
            return services;
        }

        services.AddOptions<StorageTableOptions>()
            .Bind(configuration.GetSection(StorageTableOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageTableOptions>, StorageTableOptionsValidator>());
        return services;
    }

    /// <summary>The validated table names (for the registrations of the stores).</summary>
    public static StorageTableOptions TableNames(this IServiceProvider services) =>
        services.GetRequiredService<IOptions<StorageTableOptions>>().Value;
}
