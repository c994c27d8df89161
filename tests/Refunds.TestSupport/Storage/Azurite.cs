using Azure.Core;
using Azure.Data.Tables;
using Refunds.Functions.Tests;

namespace Refunds.IntegrationTests;

/// <summary>
/// The integration tests' short names for the shared Azurite (<see cref="TestStorage"/> in Refunds.TestSupport):
/// kept because many tests call them; the connection strings themselves live in one place.
/// </summary>
public static class Azurite
{
    public static string ConnectionString => TestStorage.ConnectionString;

    public static TableServiceClient Tables() => new(ConnectionString);

    /// <summary>A table service on a closed port, failing fast: no retries, short timeout.</summary>
    public static TableServiceClient Unreachable()
    {
        var options = new TableClientOptions();
        options.Retry.MaxRetries = 0;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(2);
        options.Retry.Mode = RetryMode.Fixed;
        return new TableServiceClient(TestStorage.Unreachable, options);
    }

    public static string UniqueTable(string prefix) => prefix + Guid.NewGuid().ToString("N")[..16];
}
