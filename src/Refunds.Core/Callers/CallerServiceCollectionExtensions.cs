using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Refunds.Core.Callers;

public static class CallerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Entra ID token validator (section <c>Entra</c>, validated on start: a half-configured tenant and
    /// audience stops the app with the setting named). With both empty it refuses every token and keys stay the only way in.
    /// Also the reader of App Service Authentication's principal header (<see cref="AppServicePrincipal"/>), trusted only when that authentication is on.
    /// </summary>
    public static IServiceCollection AddEntraCallers(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<EntraOptions>()
            .Bind(configuration.GetSection(EntraOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EntraOptions>, EntraOptionsValidator>());
        services.AddHttpClient(EntraTokenValidator.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(10));
        services.TryAddSingleton<EntraTokenValidator>();
        services.TryAddSingleton<AppServicePrincipal>();
        return services;
    }
}
