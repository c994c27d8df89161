using Azure.Storage.Queues;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Trace;
using Refunds.DevHost.Keys;
using Refunds.DevHost.Timers;
using Refunds.Functions.Hosting;

namespace Refunds.DevHost;

/// <summary>
/// Builds a web application that serves the function classes over real HTTP and real queues, with the same DI
/// wiring as the worker (<see cref="FunctionAppServices.AddRefundsFunctionApp"/>), where Core Tools cannot run.
/// </summary>
public static partial class DevHostApplication
{
    private const string AspNetCoreActivitySource = "Microsoft.AspNetCore";

    public static WebApplication Build(string[] args, DevHostOptions? options = null)
    {
        options ??= new DevHostOptions();
        var remaining = ParseOwnArguments(args, options);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = remaining,
            ApplicationName = typeof(DevHostApplication).Assembly.GetName().Name,
        });

        // Like func start: local.settings.json Values < environment variables; then the command line and the
        // caller's own settings.
        var localSettingsPath = options.UseLocalSettingsFile ? LocalSettings.Locate(options.LocalSettingsPath) : null;
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(localSettingsPath is null ? [] : LocalSettings.Read(localSettingsPath));
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddCommandLine(remaining);
        builder.Configuration.AddInMemoryCollection(options.Settings);

        var hostJsonPath = options.HostJsonPath ?? HostJson.Locate();
        var hostJson = hostJsonPath is null ? HostJson.Default : HostJson.Load(hostJsonPath);
        var queueOptions = options.Queues ?? hostJson.Queues;
        var singletonOptions = (options.Singleton ?? hostJson.Singleton).Validated();

        var functions = Resolve(FunctionCatalog.Discover(options.FunctionsAssembly), options.Functions, hostJson.RoutePrefix, builder.Configuration);

        // ASP.NET Core's request log writes the full URL, so a key passed as ?code= would land in the log: keep
        // that category to warnings, whatever the log level (the function's own logs and the 401 line remain).
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Services.AddRefundsFunctionApp(builder.Configuration);
        // The app's spans sit under the invocation's: here an HTTP invocation is ASP.NET Core's request (the Functions
        // host's invocation span in Azure), so it is recorded too, or the sampler would drop the spans under it.
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource(AspNetCoreActivitySource));
        options.ConfigureServices?.Invoke(builder.Services);
        builder.Services.AddMvcCore();
        builder.Services.AddSingleton(new ServedFunctions(functions));
        builder.Services.AddSingleton(queueOptions);
        var secretsPath = Path.GetFullPath(options.SecretsPath ?? SecretsFolder.DefaultPath());
        var keys = SecretsFolder.LoadOrCreate(
            secretsPath,
            functions.Where(f => f.Descriptor.Trigger is HttpFunctionTrigger { AuthLevel: AuthorizationLevel.Function }).Select(f => f.Name),
            out var createdSecrets);
        builder.Services.AddSingleton(keys);
        var queueServices = new Dictionary<string, QueueServiceClient>(StringComparer.OrdinalIgnoreCase);
        foreach (var function in functions)
        {
            switch (function.Descriptor.Trigger)
            {
                case QueueFunctionTrigger queue:
                    var connection = ConnectionSetting(queue.Connection, builder.Configuration);
                    if (!queueServices.TryGetValue(connection, out var queueService))
                    {
                        queueService = StorageConnection.FromConfiguration(builder.Configuration, connection)
                            .CreateQueueServiceClient(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
                        queueServices[connection] = queueService;
                    }

                    builder.Services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<QueueFunctionListener>(sp, function, queueService));
                    break;
                case TimerFunctionTrigger timer:
                    var schedule = TimerFunctionScheduler.Parse(function.Schedule!, function.Name);
                    builder.Services.TryAddSingleton(_ => HostStorage.FromConfiguration(builder.Configuration));
                    builder.Services.AddSingleton<IHostedService>(sp =>
                        ActivatorUtilities.CreateInstance<TimerFunctionScheduler>(sp, function, schedule, timer.RunOnStartup, singletonOptions));
                    break;
            }
        }

        var app = builder.Build();
        foreach (var function in functions.Where(f => f.Kind == FunctionKind.Http))
        {
            HttpFunctionEndpoints.Map(app, function);
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Refunds.DevHost");
        LogStarting(logger, options.FunctionsAssembly.GetName().Name, localSettingsPath ?? "(none)", hostJsonPath ?? "(defaults)",
            app.Services.GetRequiredService<StorageConnection>().Description);
        LogKeys(logger, secretsPath, createdSecrets.Count == 0 ? "read" : $"generated {string.Join(", ", createdSecrets.Select(Path.GetFileName))}");
        foreach (var function in functions)
        {
            LogFunction(logger, function.Name, function.Kind, function.Descriptor.Trigger switch
            {
                HttpFunctionTrigger http => $"{(http.Methods.Count == 0 ? "ANY" : string.Join(",", http.Methods))} {function.HttpPath} (auth level {http.AuthLevel})",
                QueueFunctionTrigger => $"queue {function.QueueName}",
                TimerFunctionTrigger => $"schedule {function.Schedule}",
                _ => string.Empty,
            });
        }

        return app;
    }

    private static List<ServedFunction> Resolve(
        IReadOnlyList<FunctionDescriptor> discovered, IReadOnlyCollection<string>? only, string routePrefix, IConfiguration configuration)
    {
        if (only is not null)
        {
            var unknown = only.Where(name => !discovered.Any(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase))).ToList();
            if (unknown.Count > 0)
            {
                throw new InvalidOperationException($"--functions: no function named {string.Join(", ", unknown)}.");
            }
        }

        return discovered
            .Where(f => only is null || only.Contains(f.Name, StringComparer.OrdinalIgnoreCase))
            .Select(f => f.Trigger switch
            {
                HttpFunctionTrigger http => new ServedFunction(f, FunctionKind.Http)
                {
                    HttpPath = "/" + string.Join('/', new[] { routePrefix, http.Route }.Where(s => s.Length > 0)),
                    HttpMethods = http.Methods,
                },
                QueueFunctionTrigger queue => new ServedFunction(f, FunctionKind.Queue)
                {
                    QueueName = FunctionCatalog.ResolveSettings(queue.QueueName, name => configuration[name], $"Function {f.Name}"),
                },
                TimerFunctionTrigger timer => new ServedFunction(f, FunctionKind.Timer)
                {
                    Schedule = FunctionCatalog.ResolveSettings(timer.Schedule, name => configuration[name], $"Function {f.Name}"),
                },
                _ => throw new InvalidOperationException($"Function {f.Name}: unknown trigger."),
            })
            .ToList();
    }

    // A trigger's Connection names a setting; the host also tries it with the AzureWebJobs prefix.
    private static string ConnectionSetting(string? connection, IConfiguration configuration)
    {
        if (string.IsNullOrWhiteSpace(connection))
        {
            return StorageConnection.DefaultSettingName;
        }

        return configuration.GetSection(connection).Exists() ? connection : "AzureWebJobs" + connection;
    }

    /// <summary>Takes <c>--settings PATH</c>, <c>--secrets DIR</c> and <c>--functions A B</c> (or <c>A,B</c>); everything else goes to ASP.NET Core.</summary>
    private static string[] ParseOwnArguments(string[] args, DevHostOptions options)
    {
        var remaining = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--settings" when i + 1 < args.Length:
                    options.LocalSettingsPath = args[++i];
                    break;
                case "--secrets" when i + 1 < args.Length:
                    options.SecretsPath = args[++i];
                    break;
                case "--functions":
                    var names = new List<string>();
                    while (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    {
                        names.AddRange(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    }

                    options.Functions = names;
                    break;
                default:
                    remaining.Add(args[i]);
                    break;
            }
        }

        return [.. remaining];
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Dev host serving {Assembly}; local settings {LocalSettings}; host.json {HostJson}; storage {Storage}")]
    private static partial void LogStarting(ILogger logger, string? assembly, string localSettings, string hostJson, string storage);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Function keys enforced; keys in {SecretsFolder} ({What})")]
    private static partial void LogKeys(ILogger logger, string secretsFolder, string what);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Function {FunctionName} ({Kind}): {Trigger}")]
    private static partial void LogFunction(ILogger logger, string functionName, FunctionKind kind, string trigger);
}
