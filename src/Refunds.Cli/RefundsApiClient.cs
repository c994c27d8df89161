using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Refunds.Core.Refunds;

namespace Refunds.Cli;

/// <summary>An answer of the app's HTTP API, kept raw: the CLI shows it or reads only the fields it needs.</summary>
internal sealed record ApiAnswer(HttpStatusCode Status, string Body, Uri? Location);

/// <summary>The function app's refunds API: <c>POST/GET /api/orders/{orderId}/refunds</c>, and Ping++'s live view for operators.</summary>
internal sealed class RefundsApiClient(HttpClient http, Uri app, string? functionKey)
{
    public const string FunctionKeyHeader = "x-functions-key";

    public Uri App => app;

    public Task<ApiAnswer> SubmitAsync(string orderId, string requestId, byte[] body, CancellationToken ct)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(app, $"api/orders/{Uri.EscapeDataString(orderId)}/refunds"))
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } },
        };
        message.Headers.TryAddWithoutValidation(RefundRequestFields.IdempotencyKeyHeader, requestId);
        return SendAsync(message, ct);
    }

    /// <summary>
    /// The order's refunds from the app's ledger (<c>GET /api/orders/{orderId}/refunds</c>), or live from Ping++ on the
    /// operator route <c>GET /api/manage/pingpp/orders/{orderId}/refunds</c>, which takes the admin (master) key.
    /// </summary>
    public Task<ApiAnswer> ListAsync(string orderId, bool fromPingpp, CancellationToken ct)
        => SendAsync(new HttpRequestMessage(HttpMethod.Get,
            new Uri(app, $"api/{(fromPingpp ? "manage/pingpp/" : "")}orders/{Uri.EscapeDataString(orderId)}/refunds")), ct);

    /// <summary>GET <c>api/{path}</c> (path and query already escaped).</summary>
    public Task<ApiAnswer> GetAsync(string path, CancellationToken ct)
        => SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(app, "api/" + path)), ct);

    /// <summary>POST <c>api/{path}</c> with a JSON body (UTF-8).</summary>
    public Task<ApiAnswer> PostJsonAsync(string path, object body, CancellationToken ct)
        => SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(app, "api/" + path))
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } },
        }, ct);

    /// <summary>GET <c>api/{path}</c> and copy the body, byte for byte as served, into <paramref name="destination"/> when the answer is 2xx.</summary>
    public async Task<ApiAnswer> DownloadAsync(string path, Stream destination, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, new Uri(app, "api/" + path));
        return await SendCoreAsync(message, async (response, token) =>
        {
            if (!response.IsSuccessStatusCode)
            {
                return await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
            }

            await response.Content.CopyToAsync(destination, token).ConfigureAwait(false);
            return "";
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Waits for <c>GET /api/health</c> to answer at all (any status): the app is up.</summary>
    public async Task EnsureReachableAsync(CancellationToken ct)
        => await SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(app, "api/health")), ct).ConfigureAwait(false);

    private async Task<ApiAnswer> SendAsync(HttpRequestMessage message, CancellationToken ct)
    {
        using (message)
        {
            return await SendCoreAsync(message, (response, token) => response.Content.ReadAsStringAsync(token), ct).ConfigureAwait(false);
        }
    }

    private async Task<ApiAnswer> SendCoreAsync(HttpRequestMessage message, Func<HttpResponseMessage, CancellationToken, Task<string>> read, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(functionKey))
        {
            message.Headers.TryAddWithoutValidation(FunctionKeyHeader, functionKey);
        }

        try
        {
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            var body = await read(response, ct).ConfigureAwait(false);
            var location = response.Headers.Location is { } l ? (l.IsAbsoluteUri ? l : new Uri(app, l)) : null;
            return new ApiAnswer(response.StatusCode, body, location);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && Unreachable.IsConnectionFailure(ex))
        {
            throw Unreachable.Error("the function app", message.RequestUri!, ex);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException($"the function app at {message.RequestUri} did not answer within {http.Timeout.TotalSeconds:0} s", ExitCodes.Unreachable);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException($"talking to the function app at {message.RequestUri} failed: {ex.Message}");
        }
    }

    /// <summary>The app answers <c>{"request_id":…,"status":…}</c> to an accepted request.</summary>
    public static (string? RequestId, string? State) AcceptedAnswer(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            string? Get(string name)
                => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
                    ? v.GetString()
                    : null;
            return (Get(RefundRequestFields.RequestId), Get("status"));
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>
    /// The reasons in a 400 answer: <c>reasons</c>/<c>errors</c> (strings or <c>{field, reason}</c> objects, also under
    /// <c>error</c>), or Ping++-style <c>error.message</c>; else the raw body.
    /// </summary>
    public static IReadOnlyList<string> Reasons(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var found = new List<string>();
            Collect(doc.RootElement, found, depth: 0);
            return found.Count > 0 ? found : [body.Trim()];
        }
        catch (JsonException)
        {
            return body.Trim() is { Length: > 0 } text ? [text] : [];
        }
    }

    private static void Collect(JsonElement e, List<string> found, int depth)
    {
        if (e.ValueKind != JsonValueKind.Object || depth > 2)
        {
            return;
        }

        foreach (var name in new[] { "reasons", "errors", "rejection_reasons" })
        {
            if (!e.TryGetProperty(name, out var list))
            {
                continue;
            }

            if (list.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in list.EnumerateArray())
                {
                    found.Add(item.ValueKind switch
                    {
                        JsonValueKind.String => item.GetString()!,
                        JsonValueKind.Object => Describe(item),
                        _ => item.GetRawText(),
                    });
                }
            }
            else if (list.ValueKind == JsonValueKind.Object)
            {
                // ASP.NET ValidationProblemDetails: {"field": ["reason", …]}.
                foreach (var field in list.EnumerateObject())
                {
                    var reasons = field.Value.ValueKind == JsonValueKind.Array
                        ? field.Value.EnumerateArray().Select(r => r.ToString())
                        : [field.Value.ToString()];
                    found.AddRange(reasons.Select(r => $"{field.Name}: {r}"));
                }
            }
        }

        if (found.Count == 0 && e.TryGetProperty("error", out var error))
        {
            if (error.ValueKind == JsonValueKind.String)
            {
                // The app's errors: {"error":"not_found","message":"…"}; the message says more than the code.
                found.Add(e.TryGetProperty("message", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString()! : error.GetString()!);
            }
            else
            {
                Collect(error, found, depth + 1);
                if (found.Count == 0 && error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m))
                {
                    found.Add(m.ToString());
                }
            }
        }

        if (found.Count == 0 && (e.TryGetProperty("detail", out var detail) || e.TryGetProperty("message", out detail)))
        {
            found.Add(detail.ToString());
        }
    }

    private static string Describe(JsonElement item)
    {
        string? Get(string name) => item.TryGetProperty(name, out var v) ? v.ToString() : null;
        var field = Get("field") ?? Get("param");
        var reason = Get("reason") ?? Get("message") ?? item.GetRawText();
        return field is null ? reason : $"{field}: {reason}";
    }
}
