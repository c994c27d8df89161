namespace Pingpp.Simulator;

/// <summary>Settings of the simulator, bound from the configuration section <c>Simulator</c> (env <c>Simulator__*</c>).</summary>
public sealed class SimulatorOptions
{
    public const string SectionName = "Simulator";

    /// <summary>The secret key the simulated account accepts (Bearer or Basic user name).</summary>
    public string ApiKey { get; set; } = "sk_test_ibbTe5jLGCi5rzfH4OqPW9KC";

    /// <summary>Merchant RSA public key (PEM text or a path). When set, every /v1 request must be signed.</summary>
    public string? MerchantPublicKey { get; set; }

    /// <summary>Where events are POSTed. None: no webhooks at all.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Ping++'s own private key (PEM text or path) that signs webhooks; generated at start when absent.</summary>
    public string? PingppPrivateKey { get; set; }

    /// <summary>How long a refund stays pending before it settles.</summary>
    public TimeSpan SettleDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Multiplies Ping++'s retry schedule (2 min, 10 min, 10 min, 1 h, 2 h, 6 h, 15 h); 0.001 turns 2 min into 120 ms.</summary>
    public double WebhookRetryScale { get; set; } = 1.0;

    /// <summary>How long one webhook delivery may take before it counts as failed.</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Artificial latency added to every /v1 call (e.g. 50 ms for a benchmark).</summary>
    public TimeSpan ApiLatency { get; set; } = TimeSpan.Zero;

    /// <summary>How far Pingplusplus-Request-Timestamp may be from now, either way.</summary>
    public TimeSpan SignatureMaxAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the background worker settles refunds and sends due webhooks.</summary>
    public TimeSpan WorkerInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Seed for rate-based faults; null = random.</summary>
    public int? FaultSeed { get; set; }

    /// <summary>The <c>livemode</c> flag of every object.</summary>
    public bool Livemode { get; set; }

    /// <summary>The app id placed on orders and charges.</summary>
    public string AppId { get; set; } = "app_1Gqj58ynP0mHeX1q";
}
