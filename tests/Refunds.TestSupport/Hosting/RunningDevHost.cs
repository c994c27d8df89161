using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Refunds.DevHost;
using Refunds.DevHost.Keys;
using Refunds.DevHost.Timers;

namespace Refunds.Functions.Tests.DevHost;

/// <summary>
/// The dev host in-process on 127.0.0.1, port 0, against the shared Azurite; no local.settings.json; keys enforced,
/// from a secrets folder of its own (generated on start, deleted on dispose) unless the caller names one. Ping++
/// settings the caller leaves out get working test values (<see cref="TestPingppSettings"/>): the app validates
/// them on start.
/// </summary>
public sealed class RunningDevHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string? _ownSecrets;

    private RunningDevHost(WebApplication app, string? ownSecrets)
    {
        _app = app;
        _ownSecrets = ownSecrets;
        BaseAddress = new Uri(app.Urls.Single());
        Client = CreateClient(Keys.HostKeys[SecretsFolder.DefaultKeyName]);
    }

    public Uri BaseAddress { get; }

    /// <summary>A client presenting the host's default key (opens every function-level route, no admin route).</summary>
    public HttpClient Client { get; }

    public FunctionKeys Keys => _app.Services.GetRequiredService<FunctionKeys>();

    public ServedFunctions Functions => _app.Services.GetRequiredService<ServedFunctions>();

    public IServiceProvider Services => _app.Services;

    /// <summary>A folder of its own for a host's keys (the caller deletes it).</summary>
    public static string NewSecretsFolder() => Path.Combine(Path.GetTempPath(), "refunds-test-secrets-" + Guid.NewGuid().ToString("N"));

    /// <summary>A host id no other test uses (what two instances of one app share).</summary>
    public static string NewHostId() => "t-" + Guid.NewGuid().ToString("N")[..24];

    public static async Task<RunningDevHost> StartAsync(DevHostOptions options)
    {
        options.UseLocalSettingsFile = false;
        var ownSecrets = options.SecretsPath is null ? NewSecretsFolder() : null;
        options.SecretsPath ??= ownSecrets;
        options.Settings.TryAdd("AzureWebJobsStorage", TestStorage.ConnectionString);
        // A host id of its own, so parallel tests don't share timer locks; test-sized lock timings.
        options.Settings.TryAdd(HostStorage.HostIdSetting, NewHostId());
        options.Singleton ??= new SingletonHostOptions { ListenerLockPeriod = TimeSpan.FromSeconds(15), ListenerLockRecoveryPollingInterval = TimeSpan.FromMilliseconds(500) };
        options.Settings.TryAdd("Logging:LogLevel:Default", "Warning");
        TestPingppSettings.AddMissingTo(options.Settings);
        try
        {
            var app = DevHostApplication.Build(["--urls", "http://127.0.0.1:0"], options);
            await app.StartAsync();
            return new RunningDevHost(app, ownSecrets);
        }
        catch
        {
            DeleteFolder(ownSecrets);
            throw;
        }
    }

    /// <summary>A client on this host presenting <paramref name="key"/> in <c>x-functions-key</c> (null = no key).</summary>
    public HttpClient CreateClient(string? key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add(FunctionKeys.Header, key);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        DeleteFolder(_ownSecrets);
    }

    public static void DeleteFolder(string? folder)
    {
        if (folder is not null && Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
