using Microsoft.Extensions.Options;
using Pingpp.Simulator.Admin;
using Pingpp.Simulator.Api;
using Pingpp.Simulator.Faults;
using Pingpp.Simulator.State;
using Pingpp.Simulator.Webhooks;

namespace Pingpp.Simulator;

/// <summary>Builds the simulator; <c>Program</c> runs it, tests host it in-process (<c>--urls http://127.0.0.1:0</c>).</summary>
public static partial class SimulatorApp
{
    public static WebApplication Build(string[] args, Action<SimulatorOptions>? configure = null, TimeProvider? timeProvider = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(SimulatorApp).Assembly.GetName().Name,
        });
        builder.Services.AddOptions<SimulatorOptions>()
            .Bind(builder.Configuration.GetSection(SimulatorOptions.SectionName))
            .Configure(o => configure?.Invoke(o))
            .Validate(o => !string.IsNullOrWhiteSpace(o.ApiKey), "Simulator__ApiKey is required")
            .Validate(o => o.WebhookRetryScale > 0, "Simulator__WebhookRetryScale must be > 0")
            .Validate(o => o.WorkerInterval > TimeSpan.Zero, "Simulator__WorkerInterval must be > 0")
            .Validate(o => o.SettleDelay >= TimeSpan.Zero, "Simulator__SettleDelay must be >= 0")
            .Validate(o => o.SignatureMaxAge > TimeSpan.Zero, "Simulator__SignatureMaxAge must be > 0")
            .Validate(o => string.IsNullOrWhiteSpace(o.WebhookUrl) || Uri.TryCreate(o.WebhookUrl, UriKind.Absolute, out _),
                "Simulator__WebhookUrl must be an absolute URL")
            .ValidateOnStart();
        builder.Services.AddSingleton(timeProvider ?? TimeProvider.System);
        builder.Services.AddSingleton<FaultInjector>();
        builder.Services.AddSingleton<WebhookSigner>();
        builder.Services.AddSingleton<WebhookOutbox>();
        builder.Services.AddSingleton<SimulatorLedger>();
        builder.Services.AddSingleton<PingppApiGate>();
        builder.Services.AddSingleton<ApiCallLog>();
        builder.Services.AddHostedService<SimulatorWorker>();

        var app = builder.Build();
        // Resolve the keys now so that a bad PEM fails the start with a message naming the setting.
        var gate = app.Services.GetRequiredService<PingppApiGate>();
        var signer = app.Services.GetRequiredService<WebhookSigner>();
        var options = app.Services.GetRequiredService<IOptions<SimulatorOptions>>().Value;
        LogStarted(app.Logger, signer.Fingerprint, gate.MerchantKeyFingerprint ?? "(none: requests unsigned)", options.WebhookUrl ?? "(none)");

        var calls = app.Services.GetRequiredService<ApiCallLog>();
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/v1"), v1 =>
        {
            v1.Use((context, next) =>
            {
                calls.Record(context.Request);
                return next(context);
            });
            v1.Use(gate.InvokeAsync);
        });
        app.MapPingppApi();
        app.MapSimulatorAdmin();
        return app;
    }

    [LoggerMessage(40, LogLevel.Information,
        "Ping++ simulator: webhook signing key {PingppKeyFingerprint}, merchant key {MerchantKeyFingerprint}, webhooks to {WebhookUrl}")]
    private static partial void LogStarted(ILogger logger, string pingppKeyFingerprint, string merchantKeyFingerprint, string webhookUrl);
}
