using System.Diagnostics.Metrics;
using Microsoft.ApplicationInsights;
using Microsoft.ApplicationInsights.Metrics;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Refunds.Core.Configuration;
using Refunds.Core.Diagnostics;

namespace Refunds.Functions.Hosting;

/// <summary>
/// Telemetry of the worker (and of the dev host, which calls the same registration). Traces are OpenTelemetry's: the
/// <see cref="RefundsTracing.SourceName"/> spans (a refund from its queue message or HTTP submit to the Ping++ call, a
/// webhook from its delivery to the ledger write) under the Functions invocation, always collected, and exported to
/// Azure Monitor when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set. Logs and the <c>Refunds</c> counters go
/// through the Application Insights SDK, switched on by the same setting.
/// </summary>
public static class RefundsTelemetry
{
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary><c>ClientId=&lt;client id&gt;;Authorization=AAD</c>: Entra-authenticated ingestion (the resource has local auth off).</summary>
    public const string AuthenticationStringSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>The meter the core library's counters live on; <see cref="RefundsMeterExporter"/> forwards it.</summary>
    public const string MeterName = Core.Configuration.RefundsMeter.Name;

    private const string ApplicationInsightsLoggerProvider =
        "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider";

    public static IServiceCollection AddRefundsTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration[ConnectionStringSetting];
        var openTelemetry = services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithTracing(tracing => tracing.AddSource(RefundsTracing.SourceName));
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return services;
        }

        // Traces only: logs and metrics stay on the Application Insights SDK below, so nothing is sent twice.
        var entraClientId = EntraClientId(configuration[AuthenticationStringSetting]);
        openTelemetry.WithTracing(tracing => tracing.AddAzureMonitorTraceExporter(exporter =>
        {
            exporter.ConnectionString = connectionString;
            if (entraClientId is not null)
            {
                // As the AI SDK does with the same setting: the managed identity (a user-assigned one by client id).
                exporter.Credential = AzureCredentials.Create(configuration, entraClientId);
            }
        }));

        // The SDK reads the connection string itself; it is never copied into a log or an options dump of ours.
        services.AddApplicationInsightsTelemetryWorkerService();
        services.ConfigureFunctionsApplicationInsights();

        // The SDK adds a rule that keeps only Warning and above for its provider; our Information logs (order id,
        // refund id, request id) are the audit trail, so the rule goes and host.json/appsettings levels apply.
        services.Configure<LoggerFilterOptions>(options =>
        {
            var rule = options.Rules.FirstOrDefault(r => r.ProviderName == ApplicationInsightsLoggerProvider);
            if (rule is not null)
            {
                options.Rules.Remove(rule);
            }
        });

        services.AddHostedService<RefundsMeterExporter>();
        return services;
    }

    /// <summary>The client id of <c>ClientId=…;Authorization=AAD</c> ("" for the system-assigned identity), or null when Entra auth is not asked for.</summary>
    public static string? EntraClientId(string? authenticationString)
    {
        string? clientId = null;
        var entra = false;
        foreach (var part in (authenticationString ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (name, value) = part.IndexOf('=', StringComparison.Ordinal) is var eq and > 0 ? (part[..eq].Trim(), part[(eq + 1)..].Trim()) : (part, "");
            if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            {
                entra = value.Equals("AAD", StringComparison.OrdinalIgnoreCase);
            }
            else if (name.Equals("ClientId", StringComparison.OrdinalIgnoreCase))
            {
                clientId = value;
            }
        }

        return entra ? clientId ?? "" : null;
    }
}

/// <summary>
/// Application Insights' worker SDK (2.x) does not collect <see cref="Meter"/> instruments, so the <c>Refunds</c>
/// meter's counters are forwarded to pre-aggregated <see cref="TelemetryClient.GetMetric(string)"/> metrics
/// (sent once a minute as customMetrics, tags as dimensions).
/// </summary>
public sealed class RefundsMeterExporter(TelemetryClient telemetryClient) : IHostedService, IDisposable
{
    private readonly MeterListener _listener = new();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == RefundsTelemetry.MeterName &&
                instrument.GetType().GetGenericTypeDefinition() is var kind &&
                (kind == typeof(Counter<>) || kind == typeof(UpDownCounter<>)))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Track(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Track(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Track(instrument, value, tags));
        _listener.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _listener.Dispose();
        telemetryClient.Flush();
        return Task.CompletedTask;
    }

    public void Dispose() => _listener.Dispose();

    private void Track(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var names = new string[tags.Length];
        var values = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            names[i] = tags[i].Key;
            values[i] = tags[i].Value?.ToString() ?? string.Empty;
        }

        Array.Sort(names, values, StringComparer.Ordinal);
        var metric = telemetryClient.GetMetric(new MetricIdentifier(RefundsTelemetry.MeterName, instrument.Name, names));
        if (metric.TryGetDataSeries(out var series, true, values))
        {
            series.TrackValue(value);
        }
    }
}
