using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Pingpp.Simulator.Faults;
using Pingpp.Simulator.Keys;

namespace Pingpp.Simulator.Api;

/// <summary>What Ping++ checks before any /v1 endpoint: the secret key, the request signature, then rate limits.</summary>
public sealed partial class PingppApiGate : IDisposable
{
    public const string RawBodyItem = "pingpp.raw-body";

    private readonly SimulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly FaultInjector _faults;
    private readonly ILogger<PingppApiGate> _logger;
    private readonly byte[] _apiKey;
    private readonly RSA? _merchantKey;

    public PingppApiGate(IOptions<SimulatorOptions> options, TimeProvider time, FaultInjector faults, ILogger<PingppApiGate> logger)
    {
        _options = options.Value;
        _time = time;
        _faults = faults;
        _logger = logger;
        _apiKey = Encoding.UTF8.GetBytes(_options.ApiKey);
        if (!string.IsNullOrWhiteSpace(_options.MerchantPublicKey))
        {
            _merchantKey = PemKeys.LoadPublic(_options.MerchantPublicKey, "Simulator__MerchantPublicKey");
        }
    }

    public string? MerchantKeyFingerprint => _merchantKey is null ? null : PemKeys.Fingerprint(_merchantKey);

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var body = await ReadBodyAsync(context.Request);
        context.Items[RawBodyItem] = body;

        var rejection = Authenticate(context.Request) ?? VerifySignature(context, body);
        if (rejection is not null)
        {
            LogRejected(context.Request.Method, context.Request.Path, rejection.Message);
            await rejection.ToResult().ExecuteAsync(context);
            return;
        }
        if (_options.ApiLatency > TimeSpan.Zero)
        {
            await Task.Delay(_options.ApiLatency, _time, context.RequestAborted);
        }
        if (_faults.Trigger(FaultInjector.Unauthorized) is not null)
        {
            await new PingppApiError(StatusCodes.Status401Unauthorized, PingppApiError.InvalidRequest,
                "请求时间戳已过期 (request timestamp out of range)", "invalid_timestamp").ToResult().ExecuteAsync(context);
            return;
        }
        if (_faults.Trigger(FaultInjector.RateLimit) is { } rateLimit)
        {
            context.Response.Headers.RetryAfter = (rateLimit.RetryAfterSeconds ?? 1).ToString(CultureInfo.InvariantCulture);
            if (rateLimit.Status == StatusCodes.Status403Forbidden)
            {
                // Some gateways throttle with a bare 403.
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }
            await new PingppApiError(StatusCodes.Status429TooManyRequests, PingppApiError.ApiError,
                "请求过于频繁, 请稍后再试 (too many requests)", "too_many_requests").ToResult().ExecuteAsync(context);
            return;
        }
        if (HttpMethods.IsGet(context.Request.Method) && _faults.Trigger(FaultInjector.ErrorOnRead) is { } readError)
        {
            // A transient server error on a read: nothing changes at "Ping++", so a client may retry it.
            await new PingppApiError(readError.Status ?? StatusCodes.Status500InternalServerError, PingppApiError.ApiError,
                "服务器内部错误 (internal error)", "internal_error").ToResult().ExecuteAsync(context);
            return;
        }
        await next(context);
    }

    private PingppApiError? Authenticate(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return Unauthorized("没有提供 API key, 需要在 header 中加入 Authorization: Bearer API-Key (no API key provided)", "no_api_key");
        }
        byte[]? presented = null;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim());
        }
        else if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
                var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                // The key is the user name and the password is empty (curl -u sk_test_xxx:).
                if (colon >= 0 && colon == decoded.Length - 1) presented = Encoding.UTF8.GetBytes(decoded[..colon]);
            }
            catch (FormatException)
            {
                presented = null;
            }
        }
        return presented is not null && CryptographicOperations.FixedTimeEquals(presented, _apiKey)
            ? null
            : Unauthorized("无效的 API key (invalid API key provided)", "invalid_api_key");
    }

    private PingppApiError? VerifySignature(HttpContext context, byte[] body)
    {
        if (_merchantKey is null) return null;
        var request = context.Request;
        var signature = request.Headers["Pingplusplus-Signature"].ToString();
        if (string.IsNullOrEmpty(signature))
        {
            return Unauthorized("没有提供签名串，需要在 header 中加入签名串。", "no_signature");
        }
        var timestampText = request.Headers["Pingplusplus-Request-Timestamp"].ToString();
        if (!long.TryParse(timestampText, NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp))
        {
            return Unauthorized("没有提供有效的请求时间戳 Pingplusplus-Request-Timestamp (missing or malformed request timestamp)", "invalid_timestamp");
        }
        var age = _time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(timestamp, 0, 253402300799));
        if (age.Duration() > _options.SignatureMaxAge)
        {
            return Unauthorized("请求时间戳已过期 (request timestamp outside the allowed window)", "request_expired");
        }
        byte[] signatureBytes;
        try
        {
            signatureBytes = Convert.FromBase64String(signature);
        }
        catch (FormatException)
        {
            return Unauthorized("提供了无效的签名", "invalid_signature");
        }
        // The path and query exactly as they came on the wire: what the client signed, before any decoding.
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (request.Path + request.QueryString).ToString();
        var signed = new byte[body.Length + Encoding.UTF8.GetByteCount(target) + Encoding.UTF8.GetByteCount(timestampText)];
        body.CopyTo(signed, 0);
        var offset = body.Length + Encoding.UTF8.GetBytes(target, 0, target.Length, signed, body.Length);
        Encoding.UTF8.GetBytes(timestampText, 0, timestampText.Length, signed, offset);
        return _merchantKey.VerifyData(signed, signatureBytes, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            ? null
            : Unauthorized("提供了无效的签名", "invalid_signature");
    }

    private static PingppApiError Unauthorized(string message, string code) =>
        new(StatusCodes.Status401Unauthorized, PingppApiError.InvalidRequest, message, code);

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        return buffer.ToArray();
    }

    public void Dispose() => _merchantKey?.Dispose();

    [LoggerMessage(20, LogLevel.Warning, "Rejected {Method} {Path}: {Reason}")]
    private partial void LogRejected(string method, string path, string reason);
}
