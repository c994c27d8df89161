namespace Refunds.Core.Signing;

/// <summary>Signs Ping++ request bytes with the merchant key: RSASSA-PKCS1-v1_5 over SHA-256.</summary>
public interface IRequestSigner
{
    /// <summary>Returns the raw signature (not base64). Throws <see cref="RequestSigningException"/> when it cannot sign.</summary>
    ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Non-secret description of the key for logs: a public-key fingerprint or a Key Vault key id.</summary>
    string KeyDescription { get; }
}
