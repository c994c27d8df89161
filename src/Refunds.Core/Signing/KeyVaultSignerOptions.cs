using Azure.Core;

namespace Refunds.Core.Signing;

/// <summary>Pipeline options of <see cref="KeyVaultRequestSigner"/>; Azure.Core's retry policy honours Retry-After on 429/5xx.</summary>
public sealed class KeyVaultSignerOptions : ClientOptions
{
    public const string DefaultApiVersion = "7.5";

    public KeyVaultSignerOptions()
    {
        // Key Vault's own throttling guidance: back off 1, 2, 4, 8, 16 s.
        Retry.Mode = RetryMode.Exponential;
        Retry.Delay = TimeSpan.FromSeconds(1);
        Retry.MaxDelay = TimeSpan.FromSeconds(16);
        Retry.MaxRetries = 3;
        Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
    }

    public string ApiVersion { get; set; } = DefaultApiVersion;
}
