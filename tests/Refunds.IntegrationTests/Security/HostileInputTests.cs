using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsCheck;
using Refunds.Core.Ledger;
using Refunds.Core.Refunds;
using Refunds.IntegrationTests.RefundRequests;
using Xunit.Abstractions;

namespace Refunds.IntegrationTests.Security;

/// <summary>
/// The hostile-input suite (docs/security.md): generated attacks on the webhook, the refund API and the queue,
/// through the local host over real HTTP and real Azurite queues. Whatever comes in: never a 5xx, never a poison
/// message, nothing unverified stored or applied, every queue message recorded.
/// </summary>
public sealed class HostileInputTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Drain = TimeSpan.FromMinutes(4);

    /// <summary>Status codes seen, for the figures in docs/security.md.</summary>
    private sealed class Tally
    {
        private readonly ConcurrentDictionary<int, int> _byStatus = new();

        public void Add(HttpStatusCode status) => _byStatus.AddOrUpdate((int)status, 1, (_, n) => n + 1);

        public int Count => _byStatus.Values.Sum();

        public IEnumerable<int> ServerErrors => _byStatus.Keys.Where(s => s >= 500);

        public override string ToString() => string.Join(", ", _byStatus.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"));
    }

    private static async Task ForEachAsync<T>(IEnumerable<T> items, Func<T, Task> body)
        => await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (item, _) => await body(item));

    [Fact]
    public async Task The_webhook_answers_any_body_with_a_4xx_or_2xx_and_stores_or_applies_nothing_unverified()
    {
        using var signer = new TestSigner();
        await using var app = await RefundAppHarness.StartAsync(
            webhooks: true, settings: new Dictionary<string, string?> { ["Pingpp:WebhookPublicKeys:1"] = signer.PublicKeyPem });
        var refundId = "re_hostile" + Guid.NewGuid().ToString("N")[..14];
        // Test mode, as the app's test key expects (an event of the other mode would be refused, not applied).
        var valid = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Events.RefundSucceeded("evt_hostile" + Guid.NewGuid().ToString("N")[..13], refundId, requestId: null))
            .Replace("\"livemode\":true", "\"livemode\":false", StringComparison.Ordinal));
        var validSignature = signer.Sign(valid);
        var shaped = HostileInputs.Shaped(
            ("id", "\"evt_shaped\""), ("created", "1700000100"), ("livemode", "false"), ("type", "\"refund.succeeded\""),
            ("object", "\"event\""), ("pending_webhooks", "0"), ("request", "\"iar_x\""),
            ("data", "{\"object\":" + "{\"id\":\"re_shaped0000000000000000\",\"object\":\"refund\",\"amount\":1,\"status\":\"succeeded\",\"succeed\":true,\"charge\":\"ch_x\",\"metadata\":{}}" + "}"));
        var bodies = HostileInputs.Take(HostileInputs.Body(shaped, valid), HostileInputs.Iterations(400), stream: 1);
        // The signed pass mutates an event of another refund: a signed mutation may legitimately apply that one.
        var other = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(valid).Replace(refundId, "re_signedmutation0000000", StringComparison.Ordinal).Replace("evt_hostile", "evt_signedmu", StringComparison.Ordinal));
        var signedBodies = HostileInputs.Take(HostileInputs.Body(shaped, other), bodies.Count, stream: 7);
        var signatures = HostileInputs.Take(Gen.OneOf(
            Gen.Const((string?)null), Gen.Const((string?)validSignature), Gen.Const((string?)""),
            Gen.String[0, 400].Select(s => (string?)s), Gen.Byte.Array[256].Select(b => (string?)Convert.ToBase64String(b))), bodies.Count, stream: 2);

        var unverified = new Tally();
        var signed = new Tally();
        await ForEachAsync(bodies.Select((body, i) => (body, i)), async x =>
        {
            // Unverified: the body with a signature that is not its own (the valid event's, or junk).
            var wrong = x.body.AsSpan().SequenceEqual(valid) ? "AAAA" : signatures[x.i];
            unverified.Add(await PostWebhookAsync(app, x.body, wrong));
            // Signed by a trusted key: Ping++ itself misbehaving must still get a 4xx or a 2xx, never a 500.
            var signedBody = signedBodies[x.i];
            signed.Add(await PostWebhookAsync(app, signedBody, signer.Sign(signedBody)));
        });

        output.WriteLine($"webhook, {bodies.Count} bodies, seed {HostileInputs.Seed}: unverified {unverified}; signed {signed}");
        Assert.Empty(unverified.ServerErrors);
        Assert.Empty(signed.ServerErrors);
        Assert.Equal(bodies.Count, unverified.Count);
        Assert.True(unverified.ToString() == $"401: {bodies.Count}", "every unverified delivery must be a 401: " + unverified);
        // Forged and mutated copies of the refund event applied nothing: the refund is unknown until the real one comes.
        Assert.Null(await app.Ledger.GetRefundAsync(refundId, CancellationToken.None));
        Assert.Equal(HttpStatusCode.OK, await PostWebhookAsync(app, valid, validSignature));
        Assert.NotNull(await app.Ledger.GetRefundAsync(refundId, CancellationToken.None));
    }

    [Fact]
    public async Task The_refund_api_answers_any_request_with_a_4xx_or_2xx_and_records_only_what_it_accepted()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var order = await app.Sim.SeedOrderAsync(1_000_000);
        var good = $$"""{"description":"退款","charge":"{{order.ChargeIds[0]}}","charge_amount":1}""";
        var shaped = HostileInputs.Shaped(
            ("description", "\"退款\""), ("charge", $"\"{order.ChargeIds[0]}\""), ("charge_amount", "1"), ("refund_mode", "\"to_source\""),
            ("funding_source", "\"unsettled_funds\""), ("metadata", "{\"k\":\"v\"}"), ("royalty_users", "[{\"user\":\"u1\",\"amount_refunded\":1}]"),
            ("request_id", "\"SAME_AS_KEY\""));
        var bodies = HostileInputs.Take(HostileInputs.Body(shaped, Encoding.UTF8.GetBytes(good)), HostileInputs.Iterations(300), stream: 3);
        var contentTypes = HostileInputs.Take(Gen.OneOf(
            Gen.Const("application/json"), Gen.Const("application/json; charset=utf-16"), Gen.Const("text/plain"), Gen.Const("application/x-www-form-urlencoded")), bodies.Count, stream: 4);

        var posts = new Tally();
        var recordedWithout2xx = new ConcurrentBag<string>();
        await ForEachAsync(bodies.Select((body, i) => (body, i)), async x =>
        {
            var key = $"hostile-{HostileInputs.Seed}-{x.i}-{Guid.NewGuid():N}";
            var body = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(x.body).Replace("SAME_AS_KEY", key, StringComparison.Ordinal));
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/orders/{order.Id}/refunds") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentTypes[x.i]);
            request.Headers.Add("Idempotency-Key", key);
            using var response = await app.Client.SendAsync(request);
            posts.Add(response.StatusCode);
            if (!response.IsSuccessStatusCode && await app.Ledger.GetRequestAsync(key, CancellationToken.None) is { } record && record.State != RefundRequestState.Rejected)
            {
                recordedWithout2xx.Add($"{key}: {(int)response.StatusCode} but recorded {record.State}");
            }
        });

        var gets = new Tally();
        var ids = HostileInputs.NastyStrings.Where(s => s.Length > 0).Select(Uri.EscapeDataString).Concat(["%2e%2e", "a%7Cb", "%00", "..%2F..%2Fhost.json"]).ToList();
        await ForEachAsync(ids, async id =>
        {
            foreach (var (client, path) in new[]
            {
                (app.Client, $"/api/orders/{id}/refunds"), (app.Client, $"/api/orders/{order.Id}/refunds/{id}"), (app.Client, $"/api/orders/{id}/refunds/{id}?source=pingpp"),
                (app.AdminClient, $"/api/manage/pingpp/orders/{id}/refunds/{id}"), (app.AdminClient, $"/api/manage/pingpp/orders/{order.Id}/refunds/{id}"),
            })
            {
                using var response = await client.GetAsync(path);
                gets.Add(response.StatusCode);
            }
        });

        output.WriteLine($"refund API, {bodies.Count} posts, seed {HostileInputs.Seed}: {posts}; {ids.Count * 5} gets with hostile ids: {gets}");
        Assert.Empty(posts.ServerErrors);
        Assert.Empty(gets.ServerErrors);
        Assert.Empty(recordedWithout2xx);
        // The same API still takes a good request: the suite would notice an app that refuses everything.
        using var accepted = new HttpRequestMessage(HttpMethod.Post, $"/api/orders/{order.Id}/refunds") { Content = new StringContent(good, Encoding.UTF8, "application/json") };
        accepted.Headers.Add("Idempotency-Key", "hostile-good-" + Guid.NewGuid().ToString("N"));
        using var acceptedResponse = await app.Client.SendAsync(accepted);
        Assert.Equal(HttpStatusCode.Accepted, acceptedResponse.StatusCode);
    }

    [Fact]
    public async Task The_queue_records_every_hostile_message_and_dead_letters_none()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var order = await app.Sim.SeedOrderAsync(1_000_000);
        var good = $$"""{"request_id":"q-good","order_id":"{{order.Id}}","description":"退款","charge":"{{order.ChargeIds[0]}}","charge_amount":1}""";
        var shaped = HostileInputs.Shaped(
            ("request_id", "\"ID_PLACEHOLDER\""), ("order_id", $"\"{order.Id}\""), ("description", "\"退款\""), ("charge", $"\"{order.ChargeIds[0]}\""),
            ("charge_amount", "1"), ("refund_mode", "\"to_source\""), ("metadata", "{\"k\":\"v\"}"));
        var bodies = HostileInputs.Take(HostileInputs.Body(shaped, Encoding.UTF8.GetBytes(good)), HostileInputs.Iterations(200), stream: 5);
        var asBase64 = HostileInputs.Take(Gen.Int[0, 3], bodies.Count, stream: 6);

        var sent = new ConcurrentBag<(string MessageId, string[] RequestIds, string Text)>();
        await ForEachAsync(bodies.Select((body, i) => (body, i)), async x =>
        {
            var requestId = $"hq-{HostileInputs.Seed}-{x.i}-{Guid.NewGuid():N}";
            var text = Encoding.UTF8.GetString(x.body).Replace("ID_PLACEHOLDER", requestId, StringComparison.Ordinal);
            // The queue service takes only XML-safe text; anything else travels base64-encoded, as producers must send it.
            if (asBase64[x.i] == 0 || !IsXmlSafe(text))
            {
                text = Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
            }

            if (text.Length == 0 || text.Length > 60_000)
            {
                text = "{}"; // the queue service refuses empty and oversized messages itself
            }

            var receipt = await app.Queue.SendMessageAsync(text);
            sent.Add((receipt.Value.MessageId, [requestId, .. RequestIdsIn(text)], text));
        });

        await app.WaitForQueuesDrainedAsync(Drain);

        var unrecorded = new List<string>();
        foreach (var (messageId, requestIds, text) in sent)
        {
            var recorded = false;
            foreach (var id in requestIds.Append(messageId).Where(global::Refunds.Core.Storage.TableKeys.IsValidId))
            {
                recorded |= await app.Ledger.GetRequestAsync(id, CancellationToken.None) is not null;
            }

            if (!recorded)
            {
                unrecorded.Add($"{messageId}: {(text.Length > 300 ? text[..300] + "…" : text)}");
            }
        }

        var deadLettered = await app.Ledger.ListRequestsInStateAsync(RefundRequestState.DeadLettered, 1000, CancellationToken.None);
        var rejected = await app.Ledger.ListRequestsInStateAsync(RefundRequestState.Rejected, 5000, CancellationToken.None);
        output.WriteLine($"queue, {sent.Count} messages, seed {HostileInputs.Seed}: {rejected.Count} rejected and recorded, {sent.Count - rejected.Count} valid, {deadLettered.Count} dead-lettered, {unrecorded.Count} unrecorded");
        Assert.Empty(deadLettered);
        Assert.True(unrecorded.Count == 0, "not recorded:\n" + string.Join("\n", unrecorded));
        Assert.True(rejected.Count > sent.Count / 2, $"only {rejected.Count} of {sent.Count} hostile messages were rejected: is the generator hostile?");
    }

    /// <summary>Every top-level <c>request_id</c> string in the message (plain or base64 JSON): where a valid one is recorded.</summary>
    private static IEnumerable<string> RequestIdsIn(string text)
    {
        var ids = new List<string>();
        foreach (var candidate in new[] { text, TryBase64(text) })
        {
            if (candidate is null)
            {
                continue;
            }

            try
            {
                var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(candidate.TrimStart('\uFEFF')), new JsonReaderOptions { MaxDepth = 4096 });
                while (reader.Read())
                {
                    if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("request_id")
                        && reader.Read() && reader.TokenType == JsonTokenType.String)
                    {
                        ids.Add(reader.GetString()!);
                    }
                }
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                // not JSON, or not all of it: the ids read so far still count
            }
        }

        return ids;
    }

    private static string? TryBase64(string text)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(text));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static bool IsXmlSafe(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF' || (c < '\u0020' && c is not ('\t' or '\n' or '\r')))
            {
                return false;
            }
        }

        return true;
    }

    private static async Task<HttpStatusCode> PostWebhookAsync(RefundAppHarness app, byte[] body, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, RefundAppHarness.WebhookPath) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Pingplusplus-Signature", signature);
        }

        using var response = await app.Client.SendAsync(request);
        return response.StatusCode;
    }
}
