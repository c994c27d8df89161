using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Refunds.Core.Configuration;

public static class SystemTime
{
    /// <summary>Registers <see cref="TimeProvider.System"/> unless a <see cref="TimeProvider"/> is registered (tests register a fake one).</summary>
    public static IServiceCollection TryAddSystemTime(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}
