using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;

namespace Refunds.Core.Webhooks;

public static class WebhookServiceCollectionExtensions
{
    /// <summary>
    /// Registers the webhook receiver and its event store. Needs a <see cref="TableServiceClient"/> and an
    /// <see cref="IRefundLedger"/> in the container (the ledger is shared with the refund processor, so the app
    /// registers it once, not here).
    /// Options come from the <c>Pingpp</c> section and are validated at startup (messages name the setting).
    /// </summary>
    public static IServiceCollection AddPingppWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        var options = services.AddOptions<WebhookOptions>()
            .Bind(configuration.GetSection(WebhookOptions.SectionName))
            .PostConfigure(o =>
            {
                o.ExpectedLivemode = PingppKeyMode.IsLive(configuration[$"{WebhookOptions.SectionName}:ApiKey"]);
                o.ModeUnresolved = o.ExpectedLivemode is null;
            });
        // As for the Ping++ client: an unresolved Key Vault reference is refused on use and reported by /api/health.
        if (UnresolvedKeyVaultReference.FindIn(configuration.GetSection(WebhookOptions.SectionName)).Count == 0)
        {
            options.ValidateOnStart();
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>());
        services.TryAddSystemTime();
        services.TryAddSingleton(sp => WebhookSignatureVerifier.FromOptions(sp.GetRequiredService<IOptions<WebhookOptions>>().Value));
        services.AddStorageTableNames(configuration);
        services.TryAddSingleton(sp => new WebhookEventStore(sp.GetRequiredService<TableServiceClient>(), sp.TableNames().WebhookEventsTable));
        services.TryAddSingleton<IPaymentEventObserver, NoOpPaymentEventObserver>();
        services.TryAddSingleton<WebhookMetrics>();
        services.TryAddSingleton<WebhookEventHandler>();
        services.TryAddSingleton<WebhookReceiver>();
        services.TryAddSingleton<Operations.WebhookEventLog>();
        return services;
    }
}
