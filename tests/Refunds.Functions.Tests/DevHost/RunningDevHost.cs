using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Refunds.DevHost;

namespace Refunds.Functions.Tests.DevHost;

/// <summary>The dev host in-process on 127.0.0.1, port 0, against the shared Azurite; no local.settings.json.</summary>
public sealed class RunningDevHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RunningDevHost(WebApplication app)
    {
        _app = app;
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
    }

    public HttpClient Client { get; }

    public ServedFunctions Functions => _app.Services.GetRequiredService<ServedFunctions>();

    public IServiceProvider Services => _app.Services;

    public static async Task<RunningDevHost> StartAsync(DevHostOptions options)
    {
        options.UseLocalSettingsFile = false;
        options.Settings.TryAdd("AzureWebJobsStorage", TestStorage.ConnectionString);
        options.Settings.TryAdd("Logging:LogLevel:Default", "Warning");
        // The app validates its Ping++ client options on start; harmless values (nothing here calls Ping++).
        options.Settings.TryAdd("Pingpp:ApiBase", "http://127.0.0.1:1");
        options.Settings.TryAdd("Pingpp:ApiKey", "sk_test_devhost000000000000000");
        options.Settings.TryAdd("Pingpp:SigningPrivateKey", TestSigningKey.Value);
        var app = DevHostApplication.Build(["--urls", "http://127.0.0.1:0"], options);
        await app.StartAsync();
        return new RunningDevHost(app);
    }

    private static readonly Lazy<string> TestSigningKey = new(() =>
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        return rsa.ExportRSAPrivateKeyPem();
    });

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
