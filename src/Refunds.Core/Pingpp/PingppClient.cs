using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;
using Refunds.Core.Diagnostics;
using Refunds.Core.Http;
using Refunds.Core.Signing;

namespace Refunds.Core.Pingpp;

/// <summary>
/// Ping++ order-refund API client. Thread-safe. Every request is signed (body + request URI + timestamp) and sends
/// exactly the bytes it signed. GETs retry transient failures; a create is sent once and never retried here, because
/// Ping++ has no idempotency key: on <see cref="PingppErrorKind.OutcomeUnknown"/> the caller must look before re-sending.
/// Every failure surfaces as <see cref="PingppException"/>; caller cancellation as <see cref="OperationCanceledException"/>.
/// </summary>
public class PingppClient
{
    private const string JsonContentType = "application/json;charset=utf-8";
    private const int MaxPerPage = 20;

    private readonly HttpClient _http = null!;
    private readonly IRequestSigner _signer = null!;
    private readonly PingppClientOptions _options = null!;
    private readonly TimeProvider _time = null!;
    private readonly ILogger _logger = NullLogger.Instance;
    private readonly Uri _apiBase = null!;
    private readonly ResiliencePipeline _readRetries = ResiliencePipeline.Empty;

    /// <summary>For mocking only.</summary>
    protected PingppClient()
    {
    }

    public PingppClient(HttpClient httpClient, IRequestSigner signer, IOptions<PingppClientOptions> options, TimeProvider timeProvider, ILogger<PingppClient> logger)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _http = httpClient;
        _signer = signer;
        _options = options.Value;
        _time = timeProvider;
        _logger = logger;
        if (string.IsNullOrWhiteSpace(_options.ApiKey))
        {
            throw new InvalidOperationException($"{Configuration.SettingNames.PingppApiKey} is required.");
        }

        _apiBase = new Uri(_options.ApiBase.TrimEnd('/') + "/", UriKind.Absolute);
        _readRetries = PingppReadRetries.Create(_options, timeProvider, logger);
    }

    /// <summary><c>POST /v1/orders/{orderId}/order_refunds</c>. Returns the list of refunds created (one per charge). Sent once, never retried.</summary>
    public Task<PingppList<PingppRefund>> CreateOrderRefundAsync(string orderId, CreateOrderRefundRequest request, CancellationToken cancellationToken = default)
        => CreateOrderRefundAsync(orderId, request, answeredBy: null, cancellationToken);

    /// <summary>
    /// <see cref="CreateOrderRefundAsync(string, CreateOrderRefundRequest, CancellationToken)"/> that leaves only if it
    /// can be answered (or timed out) by <paramref name="answeredBy"/>: checked after signing, right before the request
    /// is sent. Too late → <see cref="PingppErrorKind.NotSent"/> (nothing reached Ping++).
    /// </summary>
    public virtual async Task<PingppList<PingppRefund>> CreateOrderRefundAsync(
        string orderId, CreateOrderRefundRequest request, DateTimeOffset? answeredBy, CancellationToken cancellationToken = default)
    {
        ValidatePathId(orderId, nameof(orderId));
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        string? requestId = request.Metadata is not null && request.Metadata.TryGetValue(PingppMetadata.RequestId, out var rid) ? rid : null;

        // Serialized once: these exact bytes are signed and sent.
        var body = JsonSerializer.SerializeToUtf8Bytes(request, PingppJson.Options);
        var call = new PingppCall("create_order_refund", orderId, null) { RequestId = requestId };
        try
        {
            var result = await SendAsync<PingppList<PingppRefund>>(HttpMethod.Post, $"v1/orders/{orderId}/order_refunds", body, call with { AnsweredBy = answeredBy }, cancellationToken).ConfigureAwait(false);
            var first = result.Data.Count > 0 ? result.Data[0] : null;
            PingppClientLog.RefundsCreated(_logger, result.Data.Count, orderId, first?.Id, first?.Status, requestId);
            return result;
        }
        catch (PingppException ex) when (ex.Kind == PingppErrorKind.OutcomeUnknown)
        {
            PingppClientLog.CreateOutcomeUnknown(_logger, orderId, requestId, ex.StatusCode);
            throw;
        }
    }

    /// <summary><c>GET /v1/orders/{orderId}/order_refunds/{refundId}</c>.</summary>
    public virtual Task<PingppRefund> RetrieveOrderRefundAsync(string orderId, string refundId, CancellationToken cancellationToken = default)
    {
        ValidatePathId(orderId, nameof(orderId));
        ValidatePathId(refundId, nameof(refundId));
        return SendAsync<PingppRefund>(HttpMethod.Get, $"v1/orders/{orderId}/order_refunds/{refundId}", null,
            new PingppCall("retrieve_order_refund", orderId, refundId), cancellationToken);
    }

    /// <summary><c>GET /v1/orders/{orderId}/order_refunds?page=&amp;per_page=</c>; newest first, <paramref name="perPage"/> 1..20.</summary>
    public virtual Task<PingppList<PingppRefund>> ListOrderRefundsAsync(string orderId, int page = 1, int perPage = MaxPerPage, CancellationToken cancellationToken = default)
    {
        ValidatePathId(orderId, nameof(orderId));
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(perPage, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(perPage, MaxPerPage);
        var query = string.Create(CultureInfo.InvariantCulture, $"page={page}&per_page={perPage}");
        return SendAsync<PingppList<PingppRefund>>(HttpMethod.Get, $"v1/orders/{orderId}/order_refunds?{query}", null,
            new PingppCall("list_order_refunds", orderId, null), cancellationToken);
    }

    /// <summary>
    /// Every refund of the order, walking pages of 20 while <c>has_more</c>. A refund created while paging shifts the
    /// newest-first list, so an id may appear twice: it is kept once.
    /// </summary>
    public virtual async Task<IReadOnlyList<PingppRefund>> ListAllOrderRefundsAsync(string orderId, CancellationToken cancellationToken = default)
    {
        ValidatePathId(orderId, nameof(orderId));
        var all = new List<PingppRefund>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var page = 1; ; page++)
        {
            var list = await ListOrderRefundsAsync(orderId, page, MaxPerPage, cancellationToken).ConfigureAwait(false);
            foreach (var refund in list.Data)
            {
                if (seen.Add(refund.Id))
                {
                    all.Add(refund);
                }
            }

            if (!list.HasMore || list.Data.Count == 0)
            {
                return all;
            }

            if (page >= _options.MaxListPages)
            {
                throw new PingppException(PingppErrorKind.OutcomeUnknown,
                    $"Order {orderId} has more than {_options.MaxListPages} pages of refunds; stopped paging.");
            }
        }
    }

    /// <summary>
    /// <c>GET /v1/orders?app=&amp;page=&amp;per_page=&amp;created[gte]=&amp;created[lte]=</c>: the app's orders, newest
    /// first, created within [<paramref name="createdFrom"/>, <paramref name="createdTo"/>] (Unix seconds); <paramref name="perPage"/> 1..20.
    /// </summary>
    public virtual Task<PingppList<PingppOrder>> ListOrdersAsync(string appId, long createdFrom, long createdTo, int page = 1, int perPage = MaxPerPage, CancellationToken cancellationToken = default)
    {
        ValidatePathId(appId, nameof(appId));
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(perPage, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(perPage, MaxPerPage);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(createdFrom, createdTo);
        // Brackets escaped once here: these exact characters are signed and sent.
        var query = string.Create(CultureInfo.InvariantCulture,
            $"app={appId}&page={page}&per_page={perPage}&created%5Bgte%5D={createdFrom}&created%5Blte%5D={createdTo}");
        return SendAsync<PingppList<PingppOrder>>(HttpMethod.Get, $"v1/orders?{query}", null, new PingppCall("list_orders", appId, null), cancellationToken);
    }

    /// <summary><c>GET /v1/orders/{orderId}</c>.</summary>
    public virtual Task<PingppOrder> RetrieveOrderAsync(string orderId, CancellationToken cancellationToken = default)
    {
        ValidatePathId(orderId, nameof(orderId));
        return SendAsync<PingppOrder>(HttpMethod.Get, $"v1/orders/{orderId}", null, new PingppCall("retrieve_order", orderId, null), cancellationToken);
    }

    /// <summary>
    /// <c>GET /v1/charges/{chargeId}</c>: the charge, with the merchant's <c>order_no</c> and its <c>created</c> time.
    /// Ping++'s charge names no Ping++ order id; a missing charge is a <see cref="PingppErrorKind.Rejected"/> 404.
    /// </summary>
    public virtual Task<PingppCharge> RetrieveChargeAsync(string chargeId, CancellationToken cancellationToken = default)
    {
        ValidatePathId(chargeId, nameof(chargeId));
        return SendAsync<PingppCharge>(HttpMethod.Get, $"v1/charges/{chargeId}", null, new PingppCall("retrieve_charge", "", null), cancellationToken);
    }

    /// <summary>Ping++ ids are ASCII letters, digits, '_' and '-'; anything else would need escaping and change the signed URI.</summary>
    internal static void ValidatePathId(string? id, string paramName)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw new ArgumentException("The id is empty.", paramName);
        }

        if (id.Length > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            throw new ArgumentException("The id may only contain ASCII letters, digits, '_' and '-' (at most 64).", paramName);
        }
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string relative, byte[]? body, PingppCall call, CancellationToken cancellationToken)
        where T : class
    {
        var uri = new Uri(_apiBase, relative);
        using var activity = RefundsTracing.StartPingppCall(call.Operation, call.OrderId, call.RefundId, call.RequestId);
        var attempt = 0;
        try
        {
            var result = method == HttpMethod.Get
                ? await SendReadAsync<T>(method, uri, call, () => ++attempt, cancellationToken).ConfigureAwait(false)
                // A create is sent once, never through the retry pipeline (see PingppReadRetries).
                : await SendLoggedAsync<T>(method, uri, body, call, ++attempt, cancellationToken).ConfigureAwait(false);
            if (result is PingppList<PingppRefund> { Data: [var created, ..] } && method == HttpMethod.Post)
            {
                activity?.SetTag(RefundsTracing.RefundId, created.Id);
            }

            return result;
        }
        catch (PingppException ex)
        {
            RefundsTracing.Failed(activity, ex.Kind.ToString(), ex.StatusCode);
            throw;
        }
        finally
        {
            activity?.SetTag(RefundsTracing.PingppAttempts, attempt);
        }
    }

    private async Task<T> SendReadAsync<T>(HttpMethod method, Uri uri, PingppCall call, Func<int> nextAttempt, CancellationToken cancellationToken)
        where T : class
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(PingppReadRetries.CallKey, call);
        try
        {
            return await _readRetries.ExecuteAsync(
                async ctx => await SendLoggedAsync<T>(method, uri, null, call, nextAttempt(), ctx.CancellationToken).ConfigureAwait(false),
                context).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async Task<T> SendLoggedAsync<T>(HttpMethod method, Uri uri, byte[]? body, PingppCall call, int attempt, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await SendOnceAsync<T>(method, uri, body, call, attempt, cancellationToken).ConfigureAwait(false);
        }
        catch (PingppException ex)
        {
            PingppClientLog.Failed(_logger, method.Method, call.Operation, ex.Kind, ex.StatusCode, call.OrderId, call.RefundId, attempt, ex.Message);
            throw;
        }
    }

    private async Task<T> SendOnceAsync<T>(HttpMethod method, Uri uri, byte[]? body, PingppCall call, int attempt, CancellationToken cancellationToken)
        where T : class
    {
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        var stringToSign = PingppRequestSignature.BuildStringToSign(body ?? [], uri, timestamp);
        byte[] signature;
        using (var signBound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            // Signing has its own bound (Key Vault retries inside it): the caller's lease is counted from before it.
            signBound.CancelAfter(_options.SignTimeout);
            try
            {
                signature = await _signer.SignAsync(stringToSign, signBound.Token).ConfigureAwait(false);
            }
            catch (RequestSigningException ex)
            {
                throw new PingppException(PingppErrorKind.NotSent,
                    $"Not sent: signing with {_signer.KeyDescription} failed ({(ex.IsTransient ? "transient" : "permanent")}): {ex.Message}", innerException: ex);
            }
            catch (Exception ex) when (ex is OperationCanceledException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new PingppException(PingppErrorKind.NotSent,
                    $"Not sent: signing with {_signer.KeyDescription} took longer than {_options.SignTimeout}.", innerException: ex);
            }
        }

        if (call.AnsweredBy is { } answeredBy && _time.GetUtcNow() + _options.RequestTimeout > answeredBy)
        {
            PingppClientLog.TooLateToSend(_logger, call.Operation, call.OrderId, answeredBy);
            throw new PingppException(PingppErrorKind.NotSent,
                $"Not sent: it could not be answered within {_options.RequestTimeout} before {answeredBy:O} (the claim's lease or the grace period would run out first).");
        }

        using var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
        request.Headers.TryAddWithoutValidation("Pingplusplus-Request-Timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("Pingplusplus-Signature", Convert.ToBase64String(signature));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            var content = new ByteArrayContent(body);
            content.Headers.TryAddWithoutValidation("Content-Type", JsonContentType);
            request.Content = content;
        }

        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex)
        {
            throw new PingppException(PingppErrorKind.OutcomeUnknown, $"No answer from Ping++ within {_options.RequestTimeout} (the request may have been performed).", innerException: ex);
        }
        catch (HttpRequestException ex)
        {
            throw FromTransportFailure(ex);
        }

        using (response)
        {
            byte[] responseBody;
            try
            {
                var stream = await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
                await using (stream.ConfigureAwait(false))
                {
                    var read = await BoundedBody.ReadAsync(stream, response.Content.Headers.ContentLength, _options.MaxResponseBytes, linked.Token).ConfigureAwait(false);
                    responseBody = read.IsTooLarge
                        ? throw new PingppException(PingppErrorKind.OutcomeUnknown,
                            $"Ping++ answered {(int)response.StatusCode} with a body over {_options.MaxResponseBytes} bytes; not read on (the request may have been performed).",
                            (int)response.StatusCode)
                        : read.Bytes.ToArray();
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
            {
                throw new PingppException(PingppErrorKind.OutcomeUnknown,
                    $"Ping++ answered {(int)response.StatusCode} but the body was lost (the request may have been performed).", (int)response.StatusCode, innerException: ex);
            }

            PingppClientLog.Answered(_logger, method.Method, call.Operation, (int)response.StatusCode, call.OrderId, call.RefundId, attempt);
            if (!response.IsSuccessStatusCode)
            {
                throw PingppException.FromResponse(response.StatusCode, responseBody, RetryAfterOf(response));
            }

            try
            {
                return JsonSerializer.Deserialize<T>(responseBody, PingppJson.Options)
                       ?? throw new JsonException("The body is JSON null.");
            }
            catch (JsonException ex)
            {
                throw new PingppException(PingppErrorKind.OutcomeUnknown,
                    $"Ping++ answered {(int)response.StatusCode} with a body that is not a {typeof(T).Name} ({ex.Message}); the request may have been performed.",
                    (int)response.StatusCode, innerException: ex);
            }
        }
    }

    private static PingppException FromTransportFailure(HttpRequestException ex)
    {
        // These errors happen while opening the connection, before any request byte is written.
        var notSent = ex.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError
            or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError;
        return notSent
            ? new PingppException(PingppErrorKind.NotSent, $"Not sent: could not connect to Ping++ ({ex.HttpRequestError}).", innerException: ex)
            : new PingppException(PingppErrorKind.OutcomeUnknown,
                $"The connection to Ping++ failed after the request was sent ({ex.HttpRequestError}); the request may have been performed.", innerException: ex);
    }

    private TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - _time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }
}
