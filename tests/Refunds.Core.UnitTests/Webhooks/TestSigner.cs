using System.Security.Cryptography;
using System.Text;

namespace Refunds.Core.UnitTests.Webhooks;

/// <summary>Signs bytes the way Ping++ signs webhooks (RSA-SHA256, PKCS#1 v1.5, base64) with a key made for the test.</summary>
internal sealed class TestSigner : IDisposable
{
    private readonly RSA _key;

    public TestSigner(int bits = 2048) => _key = RSA.Create(bits);

    public string PublicKeyPem => _key.ExportSubjectPublicKeyInfoPem();

    public string PrivateKeyPem => _key.ExportPkcs8PrivateKeyPem();

    public string Sign(byte[] body) => Convert.ToBase64String(_key.SignData(body, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public void Dispose() => _key.Dispose();
}
