using System.Globalization;
using System.Text.Json;
using Azure.Storage.Queues;

namespace Refunds.DevHost;

/// <summary>The queue trigger behaviour the dev host copies from host.json's <c>extensions.queues</c>.</summary>
public sealed record QueueHostOptions
{
    public int BatchSize { get; init; } = 16;

    /// <summary>Fetch the next batch once this few messages are still running (max concurrency = batch + threshold).</summary>
    public int NewBatchThreshold { get; init; } = 8;

    public int MaxDequeueCount { get; init; } = 5;

    /// <summary>How long a message that failed stays invisible before its next attempt.</summary>
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.Zero;

    public TimeSpan MaxPollingInterval { get; init; } = TimeSpan.FromSeconds(2);

    public QueueMessageEncoding MessageEncoding { get; init; } = QueueMessageEncoding.Base64;

    /// <summary>
    /// Invisibility while a message is being processed. The real host renews a 10-minute lease; the dev host takes
    /// one lease as long as <c>functionTimeout</c>, which no invocation may outlive in Azure either.
    /// </summary>
    public TimeSpan MessageLease { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The real host's lower bound between polls of an empty queue.</summary>
    public static TimeSpan MinPollingInterval { get; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>The timer singleton behaviour the dev host copies from host.json's <c>singleton</c> section.</summary>
public sealed record SingletonHostOptions
{
    /// <summary>How long the listener lock's blob lease lasts (renewed while held): 15 s to 60 s, as a blob lease allows.</summary>
    public TimeSpan ListenerLockPeriod { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often an instance without the lock tries to take it.</summary>
    public TimeSpan ListenerLockRecoveryPollingInterval { get; init; } = TimeSpan.FromMinutes(1);

    public SingletonHostOptions Validated()
    {
        if (ListenerLockPeriod < TimeSpan.FromSeconds(15) || ListenerLockPeriod > TimeSpan.FromSeconds(60))
        {
            throw new InvalidOperationException($"host.json: singleton.listenerLockPeriod ({ListenerLockPeriod}) must be between 00:00:15 and 00:01:00.");
        }

        return ListenerLockRecoveryPollingInterval > TimeSpan.Zero
            ? this
            : throw new InvalidOperationException($"host.json: singleton.listenerLockRecoveryPollingInterval ({ListenerLockRecoveryPollingInterval}) must be positive.");
    }
}

/// <summary>The parts of host.json the dev host honours.</summary>
public sealed record HostJson(string RoutePrefix, TimeSpan FunctionTimeout, QueueHostOptions Queues, SingletonHostOptions Singleton)
{
    public const string FileName = "host.json";

    public static HostJson Default { get; } = new("api", TimeSpan.FromMinutes(10), new QueueHostOptions(), new SingletonHostOptions());

    public static HostJson Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        var root = document.RootElement;
        var extensions = Child(root, "extensions");
        var routePrefix = Child(Child(extensions, "http"), "routePrefix") is { ValueKind: JsonValueKind.String } prefix
            ? prefix.GetString()!.Trim('/')
            : Default.RoutePrefix;
        var functionTimeout = TimeSpanOr(Child(root, "functionTimeout"), Default.FunctionTimeout);

        var queues = Child(extensions, "queues");
        var batchSize = IntOr(Child(queues, "batchSize"), 16);
        var defaults = new QueueHostOptions();
        var options = new QueueHostOptions
        {
            BatchSize = batchSize,
            NewBatchThreshold = IntOr(Child(queues, "newBatchThreshold"), batchSize / 2),
            MaxDequeueCount = IntOr(Child(queues, "maxDequeueCount"), defaults.MaxDequeueCount),
            VisibilityTimeout = TimeSpanOr(Child(queues, "visibilityTimeout"), defaults.VisibilityTimeout),
            MaxPollingInterval = TimeSpanOr(Child(queues, "maxPollingInterval"), defaults.MaxPollingInterval),
            MessageEncoding = Child(queues, "messageEncoding") is { ValueKind: JsonValueKind.String } encoding
                ? encoding.GetString()!.ToLowerInvariant() switch
                {
                    "none" => QueueMessageEncoding.None,
                    "base64" => QueueMessageEncoding.Base64,
                    var other => throw new InvalidOperationException($"host.json: extensions.queues.messageEncoding '{other}' is not 'none' or 'base64'."),
                }
                : defaults.MessageEncoding,
            MessageLease = functionTimeout,
        };
        var singleton = Child(root, "singleton");
        var singletonDefaults = new SingletonHostOptions();
        var singletonOptions = new SingletonHostOptions
        {
            ListenerLockPeriod = TimeSpanOr(Child(singleton, "listenerLockPeriod"), singletonDefaults.ListenerLockPeriod),
            ListenerLockRecoveryPollingInterval = TimeSpanOr(Child(singleton, "listenerLockRecoveryPollingInterval"), singletonDefaults.ListenerLockRecoveryPollingInterval),
        }.Validated();
        return new HostJson(routePrefix, functionTimeout, options, singletonOptions);
    }

    /// <summary>Next to the dev host (the build copies the Functions project's host.json), else the repository root.</summary>
    public static string? Locate()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, FileName);
        if (File.Exists(beside))
        {
            return beside;
        }

        var root = RepositoryRoot.Find();
        return root is not null && File.Exists(Path.Combine(root, FileName)) ? Path.Combine(root, FileName) : null;
    }

    // host.json keys are case-insensitive for the Functions host.
    private static JsonElement Child(JsonElement element, string name)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return property.Value;
                }
            }
        }

        return default;
    }

    private static int IntOr(JsonElement element, int fallback) =>
        element.ValueKind == JsonValueKind.Number ? element.GetInt32() : fallback;

    private static TimeSpan TimeSpanOr(JsonElement element, TimeSpan fallback) =>
        element.ValueKind == JsonValueKind.String ? TimeSpan.Parse(element.GetString()!, CultureInfo.InvariantCulture) : fallback;
}
