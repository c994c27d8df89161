using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;
using Refunds.Core.Ledger;
using Refunds.Core.Operations.Problems;
using Refunds.Core.Reconciliation;
using Refunds.Core.Webhooks;
using K = Refunds.Core.Operations.Problems.ProblemKinds;

namespace Refunds.Core.Operations;

/// <summary>Settings of the operator API, section <c>Operations</c>.</summary>
public sealed class OperationsOptions
{
    public const string SectionName = "Operations";

    /// <summary><c>Operations__StuckAfter</c>: a request <c>submitting</c>/<c>submitted</c> for longer is listed as <c>stuck</c>.</summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(30);
}

internal sealed class OperationsOptionsValidator : IValidateOptions<OperationsOptions>
{
    public ValidateOptionsResult Validate(string? name, OperationsOptions options)
        => options.StuckAfter > TimeSpan.Zero && options.StuckAfter <= TimeSpan.FromDays(7)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{SettingNames.OperationsStuckAfter} must be a positive time span of at most 7 days (e.g. 00:30:00).");
}

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

    /// <summary>
    /// The operator services: search, CSV export, daily stats and the problems list with one source per kind. Needs
    /// the ledger (<see cref="LedgerServiceCollectionExtensions.AddRefundLedger"/>) and a <see cref="TableServiceClient"/>.
    /// </summary>
    public static IServiceCollection AddOperations(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddRefundLedger(configuration);
        services.AddOptions<OperationsOptions>().Bind(configuration.GetSection(OperationsOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OperationsOptions>, OperationsOptionsValidator>());
        services.TryAddSingleton(sp => new RequestIndex(
            sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<TimeProvider>(), sp.TableNames().RefundLedgerTable, sp.TableNames().RequestIndexTable));
        services.TryAddSingleton(sp => new UnplacedRefundStore(sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<TimeProvider>(), sp.TableNames().ReconcileIndexTable));
        services.TryAddSingleton<RequestSearch>();
        services.TryAddSingleton<RequestCsvExport>();
        services.TryAddSingleton<DailyStats>();
        services.TryAddSingleton(sp => new ProblemReviews(sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<TimeProvider>(), sp.TableNames().ProblemReviewsTable));
        services.TryAddSingleton(sp => new ProblemsList(ProblemSources(sp), sp.GetRequiredService<ProblemReviews>(), sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    /// <summary>One source per problem kind (two for <c>stuck</c>), with the actions each kind's items offer.</summary>
    public static IReadOnlyList<IProblemSource> ProblemSources(IServiceProvider sp)
    {
        ArgumentNullException.ThrowIfNull(sp);
        var index = sp.GetRequiredService<RequestIndex>();
        var ledger = sp.GetRequiredService<IRefundLedger>();
        var tables = sp.GetRequiredService<TableServiceClient>();
        var names = sp.TableNames();
        var stuckAfter = sp.GetRequiredService<IOptions<OperationsOptions>>().Value.StuckAfter;
        RequestStateProblemSource State(string kind, string state, params string[] actions) => new(kind, state, index, ledger, actions);
        return
        [
            State(K.DeadLettered, "dead_lettered", K.Requeue, K.Cancel, K.Review),
            State(K.Rejected, "rejected", K.Review),
            State(K.Failed, "failed", K.Review),
            State(K.AwaitingApproval, "awaiting_approval", K.Approve, K.Deny, K.Cancel, K.Review),
            State(K.NeedsReview, "needs_review", K.Review),
            new RequestStateProblemSource(K.Stuck, "submitting", index, ledger, [K.Review], stuckAfter),
            new RequestStateProblemSource(K.Stuck, "submitted", index, ledger, [K.Review], stuckAfter),
            new DiscrepancyProblemSource(tables, names.DiscrepanciesTable),
            new AbnormalPaymentProblemSource(tables, names.AnomaliesTable, ledger),
            new UnappliedWebhookProblemSource(new WebhookEventStore(tables, names.WebhookEventsTable)),
            new UnplacedRefundProblemSource(sp.GetRequiredService<UnplacedRefundStore>()),
        ];
    }
}
