using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Core.Pipeline;
using Refunds.Core.Signing;

namespace Refunds.Core.UnitTests.Signing;

public sealed class KeyVaultRequestSignerTests : IDisposable
{
    private const string KeyId = "https://refunds-kv.vault.azure.net/keys/pingpp-signing/0123456789abcdef0123456789abcdef";

    private readonly FakeKeyVault _vault = new();
    private readonly CountingCredential _credential = new();

    public void Dispose() => _vault.Dispose();

    private KeyVaultRequestSigner CreateSigner(int maxRetries = 3)
    {
        var options = new KeyVaultSignerOptions { Transport = new HttpClientTransport(new HttpClient(_vault)) };
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Retry.MaxRetries = maxRetries;
        return new KeyVaultRequestSigner(KeyId, _credential, options);
    }

    [Fact]
    public async Task Signs_through_the_challenge_and_a_throttle_with_one_sign_call_and_one_token_for_many_signatures()
    {
        _vault.Failures.Enqueue((HttpStatusCode.TooManyRequests, "1"));
        var signer = CreateSigner();
        string[] payloads = ["{\"a\":1}/v1/orders/1/order_refunds1700000000", "/v1/orders/2?page=1&per_page=20", "third"];

        var signatures = new List<byte[]>();
        foreach (var payload in payloads)
        {
            signatures.Add(await signer.SignAsync(Encoding.UTF8.GetBytes(payload), CancellationToken.None));
        }

        using var publicKey = _vault.PublicKey;
        for (var i = 0; i < payloads.Length; i++)
        {
            Assert.True(publicKey.VerifyData(Encoding.UTF8.GetBytes(payloads[i]), signatures[i], HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        }

        var requests = _vault.Requests.ToArray();
        // Probe without token (and without body), the throttled attempt, then exactly one sign call per signature.
        Assert.Equal(2 + payloads.Length, requests.Length);
        Assert.Null(requests[0].Authorization);
        Assert.Null(requests[0].Body);
        Assert.All(requests.Skip(1), r => Assert.Equal("Bearer " + FakeKeyVault.Token, r.Authorization));
        Assert.All(requests, r => Assert.Equal(KeyId + "/sign?api-version=7.5", r.Uri.AbsoluteUri));
        Assert.All(requests, r => Assert.Equal("POST", r.Method));

        Assert.Equal(1, _credential.Calls);
        var context = Assert.Single(_credential.Contexts);
        Assert.Equal(["https://vault.azure.net/.default"], context.Scopes);
        Assert.Equal(FakeKeyVault.Tenant, context.TenantId);

        // Body shape: {"alg":"RS256","value":base64url(SHA-256(data))} and nothing else.
        var signCalls = requests.Skip(2).ToArray();
        for (var i = 0; i < payloads.Length; i++)
        {
            using var body = JsonDocument.Parse(signCalls[i].Body!);
            var properties = body.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
            Assert.Equal(["alg", "value"], properties);
            Assert.Equal("RS256", body.RootElement.GetProperty("alg").GetString());
            Assert.Equal(Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(payloads[i]))), body.RootElement.GetProperty("value").GetString());
        }
    }

    [Fact]
    public async Task Parallel_signatures_share_one_token()
    {
        var signer = CreateSigner();
        await signer.SignAsync("warm-up"u8.ToArray(), CancellationToken.None);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => signer.SignAsync(Encoding.UTF8.GetBytes($"p{i}"), CancellationToken.None).AsTask()));

        using var publicKey = _vault.PublicKey;
        Assert.All(Enumerable.Range(0, 8), i => Assert.True(publicKey.VerifyData(Encoding.UTF8.GetBytes($"p{i}"), results[i], HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)));
        Assert.Equal(1, _credential.Calls);
        Assert.Equal(1 + 1 + 8, _vault.Requests.Count);
    }

    [Fact]
    public async Task A_challenge_for_a_foreign_resource_is_refused_without_asking_for_a_token()
    {
        _vault.Challenge = "Bearer authorization=\"https://login.microsoftonline.com/x\", resource=\"https://evil.example.com\"";
        var signer = CreateSigner();

        var ex = await Assert.ThrowsAsync<RequestSigningException>(() => signer.SignAsync("x"u8.ToArray(), CancellationToken.None).AsTask());

        Assert.False(ex.IsTransient);
        Assert.Contains("evil.example.com", ex.Message);
        Assert.Equal(0, _credential.Calls);
    }

    [Fact]
    public async Task A_permission_error_is_permanent_and_carries_the_status()
    {
        _vault.Failures.Enqueue((HttpStatusCode.Forbidden, null));
        var signer = CreateSigner();

        var ex = await Assert.ThrowsAsync<RequestSigningException>(() => signer.SignAsync("x"u8.ToArray(), CancellationToken.None).AsTask());

        Assert.False(ex.IsTransient);
        Assert.Equal(403, ex.Status);
        Assert.Contains("pingpp-signing", ex.Message);
        Assert.DoesNotContain(FakeKeyVault.Token, ex.ToString());
    }

    [Fact]
    public async Task Persistent_unavailability_is_transient_after_the_pipeline_retries()
    {
        for (var i = 0; i < 3; i++)
        {
            _vault.Failures.Enqueue((HttpStatusCode.ServiceUnavailable, "0"));
        }

        var signer = CreateSigner(maxRetries: 2);

        var ex = await Assert.ThrowsAsync<RequestSigningException>(() => signer.SignAsync("x"u8.ToArray(), CancellationToken.None).AsTask());

        Assert.True(ex.IsTransient);
        Assert.Equal(503, ex.Status);
        Assert.Equal(1 + 3, _vault.Requests.Count);
    }

    [Theory]
    [InlineData(null, "is empty")]
    [InlineData("not a url", "not an absolute URL")]
    [InlineData("http://refunds-kv.vault.azure.net/keys/k/v1", "https")]
    [InlineData("https://refunds-kv.vault.azure.net/keys/k", "versioned")]
    [InlineData("https://refunds-kv.vault.azure.net/secrets/k/v1", "versioned")]
    [InlineData("https://refunds-kv.vault.azure.net/keys/k/v1/extra", "versioned")]
    [InlineData("https://refunds-kv.vault.azure.net/keys/k/v1?x=1", "query")]
    public void Bad_key_ids_fail_naming_the_setting(string? keyId, string reason)
    {
        var ex = Assert.Throws<KeyConfigurationException>(() => new KeyVaultRequestSigner(keyId!, _credential));

        Assert.StartsWith("Pingpp__SigningKeyId", ex.Message);
        Assert.Contains(reason, ex.Message);
    }

    [Fact]
    public void The_key_description_is_the_key_id()
        => Assert.Equal("keyvault:" + KeyId, CreateSigner().KeyDescription);
}
