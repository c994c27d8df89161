using Azure.Core;
using Azure.Data.Tables;

namespace Refunds.IntegrationTests;

/// <summary>The shared Azurite (env <c>REFUNDS_TEST_STORAGE</c>), unique table names per test, and a storage that is down.</summary>
internal static class Azurite
{
    public static string ConnectionString
        => Environment.GetEnvironmentVariable("REFUNDS_TEST_STORAGE") is { Length: > 0 } value ? value : "UseDevelopmentStorage=true";

    public static TableServiceClient Tables() => new(ConnectionString);

    /// <summary>A table service on a closed port, failing fast: no retries, short timeout.</summary>
    public static TableServiceClient Unreachable()
    {
        var options = new TableClientOptions();
        options.Retry.MaxRetries = 0;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(2);
        options.Retry.Mode = RetryMode.Fixed;
        return new TableServiceClient(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;",
            options);
    }

    public static string UniqueTable(string prefix) => prefix + Guid.NewGuid().ToString("N")[..16];
}

/// <summary>The official Ping++ vectors as copied into the test output, read as raw bytes.</summary>
internal static class VectorFiles
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "vectors", name);

    public static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));

    public static string Text(string name) => File.ReadAllText(PathOf(name));
}
