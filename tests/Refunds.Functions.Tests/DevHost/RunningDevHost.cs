using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Refunds.DevHost;

namespace Refunds.Functions.Tests.DevHost;

/// <summary>
/// The dev host in-process on 127.0.0.1, port 0, against the shared Azurite; no local.settings.json. Ping++ settings
/// the caller leaves out get working test values (<see cref="TestPingppSettings"/>): the app validates them on start.
/// </summary>
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
        TestPingppSettings.AddMissingTo(options.Settings);
        var app = DevHostApplication.Build(["--urls", "http://127.0.0.1:0"], options);
        await app.StartAsync();
        return new RunningDevHost(app);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
