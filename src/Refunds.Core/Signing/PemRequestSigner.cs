using System.Security.Cryptography;
using Refunds.Core.Configuration;

namespace Refunds.Core.Signing;

/// <summary>Signs with a local private key. For local runs and tests; production signs through Key Vault.</summary>
public sealed class PemRequestSigner : IRequestSigner, IDisposable
{
    private readonly RSA _rsa;
    private readonly Lock _gate = new();

    /// <summary>Takes ownership of <paramref name="privateKey"/>.</summary>
    public PemRequestSigner(RSA privateKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        _rsa = privateKey;
        KeyDescription = "pem:" + PemKey.Fingerprint(privateKey);
    }

    public string KeyDescription { get; }

    /// <summary>Loads the key from PEM text or a PEM file path held by the setting <paramref name="settingName"/>.</summary>
    public static PemRequestSigner FromPem(string? textOrPath, string settingName = SettingNames.PingppSigningPrivateKey)
        => new(PemKey.LoadRsa(textOrPath, settingName, requirePrivate: true));

    public ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // RSA instances are not documented as thread-safe; signing is ~1 ms, so a lock costs nothing that matters.
        lock (_gate)
        {
            return ValueTask.FromResult(_rsa.SignData(data.Span, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        }
    }

    public void Dispose() => _rsa.Dispose();
}
