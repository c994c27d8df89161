using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;
using Refunds.Core.Signing;

namespace Refunds.Core.Pingpp;

public static class PingppServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="PingppClient"/> (typed HttpClient), its validated options from section <c>Pingpp</c>
    /// (fails at startup naming the bad setting), the request signer (Key Vault when <c>Pingpp__SigningKeyId</c> is
    /// set, PEM otherwise) and <see cref="TimeProvider.System"/> unless one is registered. A registered
    /// <see cref="TokenCredential"/> or <see cref="KeyVaultSignerOptions"/> is used by the Key Vault signer; otherwise
    /// <see cref="AzureCredentials.Create"/>: the managed identity in Azure (client id from AZURE_CLIENT_ID), the
    /// developer chain on a developer machine.
    /// </summary>
    public static IServiceCollection AddPingppClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        var options = services.AddOptions<PingppClientOptions>()
            .Bind(configuration.GetSection(PingppClientOptions.SectionName));
        // A Key Vault reference App Service could not resolve is refused by the validator, but does not stop the start:
        // the app stays up so that /api/health can name the setting, and the client cannot be built until it is fixed.
        if (UnresolvedKeyVaultReference.FindIn(configuration.GetSection(PingppClientOptions.SectionName)).Count == 0)
        {
            options.ValidateOnStart();
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PingppClientOptions>, PingppClientOptionsValidator>());
        services.TryAddSystemTime();
        services.TryAddSingleton<IRequestSigner>(services => CreateSigner(services, configuration));

        services.AddHttpClient<PingppClient>(http =>
        {
            // Each attempt has its own timeout (RequestTimeout) inside PingppClient.
            http.Timeout = Timeout.InfiniteTimeSpan;
            http.DefaultRequestHeaders.UserAgent.ParseAdd("Refunds/1.0");
        });
        return services;
    }

    private static IRequestSigner CreateSigner(IServiceProvider services, IConfiguration configuration)
    {
        var options = services.GetRequiredService<IOptions<PingppClientOptions>>().Value;
        if (!string.IsNullOrWhiteSpace(options.SigningKeyId))
        {
            var credential = services.GetService<TokenCredential>() ?? AzureCredentials.Create(configuration);
            return new KeyVaultRequestSigner(options.SigningKeyId, credential, services.GetService<KeyVaultSignerOptions>() ?? new KeyVaultSignerOptions());
        }

        return PemRequestSigner.FromPem(options.SigningPrivateKey);
    }
}
