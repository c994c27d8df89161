using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Pingpp.Simulator.Keys;

namespace Pingpp.Simulator.Webhooks;

/// <summary>Ping++'s own key pair: signs webhook bodies (X-Pingplusplus-Signature); its SPKI PEM verifies them.</summary>
public sealed class WebhookSigner : IDisposable
{
    private readonly RSA _key;

    public WebhookSigner(IOptions<SimulatorOptions> options)
    {
        var configured = options.Value.PingppPrivateKey;
        _key = string.IsNullOrWhiteSpace(configured)
            ? RSA.Create(2048)
            : PemKeys.LoadPrivate(configured, "Simulator__PingppPrivateKey");
        PublicKeyPem = PemKeys.ExportPublicPem(_key);
        Fingerprint = PemKeys.Fingerprint(_key);
    }

    public string PublicKeyPem { get; }

    public string Fingerprint { get; }

    /// <summary>Base64 RSA-SHA256 PKCS#1 v1.5 over the exact body bytes.</summary>
    public string Sign(byte[] body) =>
        Convert.ToBase64String(_key.SignData(body, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public void Dispose() => _key.Dispose();
}
