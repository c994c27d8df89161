namespace Refunds.DevHost;

public enum FunctionKind
{
    Http,
    Queue,
    Timer,
}

/// <summary>A function as the dev host serves it, with its trigger settings resolved.</summary>
public sealed class ServedFunction(FunctionDescriptor descriptor, FunctionKind kind)
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FunctionDescriptor Descriptor { get; } = descriptor;

    public string Name => Descriptor.Name;

    public FunctionKind Kind { get; } = kind;

    /// <summary>HTTP: the path template served, e.g. <c>/api/health</c>.</summary>
    public string? HttpPath { get; init; }

    /// <summary>HTTP: upper-case methods; empty = every method.</summary>
    public IReadOnlyList<string> HttpMethods { get; init; } = [];

    /// <summary>Queue: the resolved queue name.</summary>
    public string? QueueName { get; init; }

    /// <summary>Timer: the resolved NCRONTAB schedule.</summary>
    public string? Schedule { get; init; }

    /// <summary>Timer: when the next invocation is due (UTC), once scheduled.</summary>
    public DateTimeOffset? NextOccurrence { get; internal set; }

    /// <summary>Timer: whether this instance holds the function's listener lock now.</summary>
    public bool IsListening { get; internal set; }

    /// <summary>Timer: every run on this instance, oldest first.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<TimerRun> TimerRuns { get; } = new();

    /// <summary>Completes when the function is live: HTTP at start, a queue once its queue exists and polling began, a timer once scheduled.</summary>
    public Task Ready => _ready.Task;

    internal void MarkReady() => _ready.TrySetResult();
}

/// <summary>Every function the dev host serves (registered as a singleton).</summary>
public sealed class ServedFunctions(IReadOnlyList<ServedFunction> functions)
{
    public IReadOnlyList<ServedFunction> All { get; } = functions;

    public ServedFunction this[string name] =>
        All.FirstOrDefault(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new KeyNotFoundException($"The dev host serves no function named {name}.");
}
