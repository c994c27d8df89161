using System.Security.Cryptography;

namespace Refunds.Functions.Tests.Webhooks;

/// <summary>Signs bodies the way Ping++ signs webhooks (RSA-SHA256, PKCS#1 v1.5, base64) with a key made for the test.</summary>
public sealed class TestWebhookSigner : IDisposable
{
    private readonly RSA _key = RSA.Create(2048);

    public string PublicKeyPem => _key.ExportSubjectPublicKeyInfoPem();

    public string PrivateKeyPem => _key.ExportPkcs8PrivateKeyPem();

    public string Sign(byte[] body) => Convert.ToBase64String(_key.SignData(body, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public void Dispose() => _key.Dispose();
}
