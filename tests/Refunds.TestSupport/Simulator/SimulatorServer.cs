using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pingpp.Simulator;

namespace Refunds.IntegrationTests.Support;

// Inside the namespace: Refunds.IntegrationTests.PingppClient (the test folder) would otherwise hide the client type.
using Refunds.Core.Configuration;
using Refunds.Core.Pingpp;

/// <summary>
/// The Ping++ simulator hosted in-process on <c>http://127.0.0.1:0</c>, acting as one merchant's Ping++ account:
/// a random secret key, a freshly generated merchant RSA key pair whose public half the simulator enforces on every
/// <c>/v1</c> request, and a generated Ping++ webhook key (<see cref="SimulatorAdmin.PingppPublicKeyPem"/>).
/// <see cref="CreateClient"/> builds a <see cref="PingppClient"/> through the production wiring
/// (<see cref="PingppServiceCollectionExtensions.AddPingppClient"/> over configuration), so the tests exercise the
/// same DI, options validation, PEM signer and HttpClient the function app uses.
/// Refunds stay pending until <see cref="SimulatorAdmin.SettleAsync"/> unless a settle delay is given; webhook
/// retries run 1000x faster than Ping++'s schedule. Faults are global to the server: tests that set them should own
/// their server.
/// </summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    /// <summary>Client settings for speed on a loaded test machine; a call can override any of them.</summary>
    private static readonly Dictionary<string, string?> FastClientSettings = new()
    {
        [ConfigKey(SettingNames.PingppRequestTimeout)] = "00:00:10",
        [ConfigKey(nameof(PingppClientOptions.ReadRetryBaseDelay))] = "00:00:00.010",
        [ConfigKey(nameof(PingppClientOptions.ReadRetryMaxDelay))] = "00:00:00.050",
    };

    private readonly WebApplication _app;
    private readonly HttpClient _http;
    private readonly RSA _merchantKey;
    private readonly List<ServiceProvider> _clientProviders = [];
    private readonly Lock _gate = new();

    private SimulatorServer(WebApplication app, Uri baseAddress, string apiKey, RSA merchantKey, HttpClient http, SimulatorAdmin admin)
    {
        _app = app;
        _http = http;
        _merchantKey = merchantKey;
        BaseAddress = baseAddress;
        ApiKey = apiKey;
        Admin = admin;
        MerchantPrivateKeyPem = merchantKey.ExportRSAPrivateKeyPem();
        MerchantPublicKeyPem = merchantKey.ExportSubjectPublicKeyInfoPem();
    }

    /// <summary><c>http://127.0.0.1:{port}/</c>: the value of <c>Pingpp__ApiBase</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The secret key this simulated account accepts (<c>sk_test_</c> + 24 random characters).</summary>
    public string ApiKey { get; }

    /// <summary>The merchant private key (PKCS#1 PEM) that <see cref="CreateClient"/> signs with.</summary>
    public string MerchantPrivateKeyPem { get; }

    /// <summary>The merchant public key (SPKI PEM) uploaded to the simulator, which rejects requests it does not verify.</summary>
    public string MerchantPublicKeyPem { get; }

    /// <summary>Seeding, settling, faults and the simulator's own records (<c>/_sim</c>).</summary>
    public SimulatorAdmin Admin { get; }

    /// <summary>How many refunds the simulated account holds, read in process (no HTTP): for drivers that must not load what they measure.</summary>
    public int RefundCount => _app.Services.GetRequiredService<Pingpp.Simulator.State.SimulatorLedger>().RefundCount;

    /// <summary>
    /// The <c>Pingpp</c> configuration section (keys like <c>Pingpp:ApiKey</c>) that points our app at this server.
    /// Feed it to an in-memory configuration to host function-level code against the simulator.
    /// </summary>
    public IReadOnlyDictionary<string, string?> ClientSettings => new Dictionary<string, string?>(FastClientSettings)
    {
        [ConfigKey(SettingNames.PingppApiBase)] = BaseAddress.GetLeftPart(UriPartial.Authority),
        [ConfigKey(SettingNames.PingppApiKey)] = ApiKey,
        [ConfigKey(SettingNames.PingppSigningPrivateKey)] = MerchantPrivateKeyPem,
    };

    /// <summary>Starts a simulator; <paramref name="webhookUrl"/> receives signed events, <paramref name="settleDelay"/> null = settle only on request.</summary>
    public static async Task<SimulatorServer> StartAsync(
        string? webhookUrl = null, TimeSpan? settleDelay = null, Action<SimulatorOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        var apiKey = "sk_test_" + RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 24);
        var merchantKey = RSA.Create(2048);
        WebApplication? app = null;
        try
        {
            app = SimulatorApp.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"], o =>
            {
                o.ApiKey = apiKey;
                o.MerchantPublicKey = merchantKey.ExportSubjectPublicKeyInfoPem();
                o.WebhookUrl = webhookUrl;
                // Deterministic by default: a refund's status changes only when a test settles it.
                o.SettleDelay = settleDelay ?? TimeSpan.FromHours(1);
                o.WorkerInterval = TimeSpan.FromMilliseconds(10);
                o.WebhookRetryScale = 0.001;
                o.WebhookTimeout = TimeSpan.FromSeconds(5);
                o.FaultSeed = 20250101;
                configure?.Invoke(o);
            });
            await app.StartAsync(cancellationToken);
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
            var baseAddress = new Uri(address.TrimEnd('/') + "/");
            var http = new HttpClient { BaseAddress = baseAddress };
            var admin = await SimulatorAdmin.ConnectAsync(http, cancellationToken);
            return new SimulatorServer(app, baseAddress, apiKey, merchantKey, http, admin);
        }
        catch
        {
            merchantKey.Dispose();
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>
    /// A <see cref="PingppClient"/> resolved from <c>services.AddPingppClient(configuration)</c> with
    /// <see cref="ClientSettings"/>; <paramref name="overrides"/> change or remove (null value) settings, keyed
    /// like <c>Pingpp:RequestTimeout</c> (see <see cref="ConfigKey"/>). Options are validated as at app start, so a
    /// bad setting throws <see cref="OptionsValidationException"/> here. The client lives until the server is disposed.
    /// </summary>
    public PingppClient CreateClient(IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>(ClientSettings);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddPingppClient(configuration);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        lock (_gate)
        {
            _clientProviders.Add(provider);
        }

        // What the host does for ValidateOnStart(): every registered options validator runs before first use.
        provider.GetRequiredService<IStartupValidator>().Validate();
        return provider.GetRequiredService<PingppClient>();
    }

    /// <summary>
    /// Points webhook deliveries at <paramref name="url"/> from now on. For receivers that can only start once the
    /// simulator's address is known (the app needs it as <c>Pingpp__ApiBase</c>): the simulator reads
    /// <see cref="SimulatorOptions.WebhookUrl"/> at each delivery, so setting it after start needs no port guessing.
    /// Start the simulator with a placeholder URL so that events raised before this call are queued for delivery.
    /// </summary>
    public void DeliverWebhooksTo(Uri url) => _app.Services.GetRequiredService<IOptions<SimulatorOptions>>().Value.WebhookUrl = url.ToString();

    /// <summary>
    /// Sends a request the way a correct merchant client would (Bearer key, timestamp, signature over
    /// body + path-and-query + timestamp) but with exactly the given body: for proving what the simulator itself
    /// answers to requests our client refuses to send.
    /// </summary>
    public async Task<(int Status, JsonNode? Json)> SendSignedAsync(HttpMethod method, string pathAndQuery, string? body = null, CancellationToken cancellationToken = default)
    {
        var bodyBytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signature = _merchantKey.SignData(
            PingppRequestSignature.BuildStringToSign(bodyBytes, pathAndQuery, timestamp), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

        using var request = new HttpRequestMessage(method, pathAndQuery.TrimStart('/'));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        request.Headers.Add("Pingplusplus-Request-Timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("Pingplusplus-Signature", Convert.ToBase64String(signature));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(bodyBytes);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json;charset=utf-8");
        }

        using var response = await _http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    /// <summary><c>Pingpp__RequestTimeout</c> → <c>Pingpp:RequestTimeout</c>; a bare option name gets the section prefix.</summary>
    public static string ConfigKey(string settingOrOptionName) => settingOrOptionName.Contains("__", StringComparison.Ordinal)
        ? settingOrOptionName.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal)
        : PingppClientOptions.SectionName + ConfigurationPath.KeyDelimiter + settingOrOptionName;

    public async ValueTask DisposeAsync()
    {
        List<ServiceProvider> providers;
        lock (_gate)
        {
            providers = [.. _clientProviders];
            _clientProviders.Clear();
        }

        foreach (var provider in providers)
        {
            await provider.DisposeAsync();
        }

        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _merchantKey.Dispose();
    }
}
