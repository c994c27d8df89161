using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Core;

namespace Refunds.Core.UnitTests.Signing;

/// <summary>
/// An HTTP handler that answers like Key Vault's <c>sign</c>: 401 challenge without a token, optional throttling,
/// then a real RS256 signature of the received digest made with a real RSA key (a new one, or the given one, which it
/// then owns). Also linked into the integration tests, where the key is the simulator's merchant key.
/// </summary>
public sealed class FakeKeyVault(RSA? key = null) : HttpMessageHandler
{
    public const string Tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    public const string Token = "fake-kv-token";

    private readonly RSA _key = key ?? RSA.Create(2048);
    private int _signatures;

    /// <summary>How many <c>sign</c> operations answered with a signature (challenges and throttles excluded).</summary>
    public int Signatures => Volatile.Read(ref _signatures);

    public string Challenge { get; set; } = $"Bearer authorization=\"https://login.microsoftonline.com/{Tenant}\", resource=\"https://vault.azure.net\"";

    /// <summary>Statuses to answer (in order) to authorized requests before signing.</summary>
    public ConcurrentQueue<(HttpStatusCode Status, string? RetryAfter)> Failures { get; } = new();

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>How long the next authorized <c>sign</c> requests (in order) take before answering: a slow Key Vault.</summary>
    public ConcurrentQueue<TimeSpan> SignDelays { get; } = new();

    public RSA PublicKey
    {
        get
        {
            var rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(_key.ExportSubjectPublicKeyInfo(), out _);
            return rsa;
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var auth = request.Headers.Authorization?.ToString();
        Requests.Enqueue(new Received(request.Method.Method, request.RequestUri!, auth, body));

        if (auth != "Bearer " + Token)
        {
            var challenge = new HttpResponseMessage(HttpStatusCode.Unauthorized) { Content = Json("""{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}}""") };
            challenge.Headers.TryAddWithoutValidation("WWW-Authenticate", Challenge);
            return challenge;
        }

        if (SignDelays.TryDequeue(out var delay))
        {
            await Task.Delay(delay, cancellationToken);
        }

        if (Failures.TryDequeue(out var failure))
        {
            var response = new HttpResponseMessage(failure.Status) { Content = Json($$$"""{"error":{"code":"Throttled","message":"status {{{(int)failure.Status}}}"}}""") };
            if (failure.RetryAfter is not null)
            {
                response.Headers.TryAddWithoutValidation("Retry-After", failure.RetryAfter);
            }

            return response;
        }

        using var doc = JsonDocument.Parse(body!);
        var digest = Base64Url.DecodeFromChars(doc.RootElement.GetProperty("value").GetString());
        var signature = _key.SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        Interlocked.Increment(ref _signatures);
        var keyId = request.RequestUri!.GetLeftPart(UriPartial.Path)[..^"/sign".Length];
        return new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = Json(JsonSerializer.Serialize(new Dictionary<string, string> { ["kid"] = keyId, ["value"] = Base64Url.EncodeToString(signature) })),
        };
    }

    protected override void Dispose(bool disposing)
    {
        _key.Dispose();
        base.Dispose(disposing);
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    public sealed record Received(string Method, Uri Uri, string? Authorization, byte[]? Body);
}

/// <summary>A credential that counts how often a token is asked for.</summary>
public sealed class CountingCredential : TokenCredential
{
    private int _calls;

    public int Calls => _calls;

    public ConcurrentQueue<TokenRequestContext> Contexts { get; } = new();

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        Contexts.Enqueue(requestContext);
        return new AccessToken(FakeKeyVault.Token, DateTimeOffset.UtcNow.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        => ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
