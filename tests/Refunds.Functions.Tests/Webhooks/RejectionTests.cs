using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Refunds.Functions.Tests.Webhooks;

/// <summary>One host, one Ping++ key; every way a delivery is refused, and that a refusal stores nothing.</summary>
public sealed class RejectionTests(RejectionTests.Fixture fixture) : IClassFixture<RejectionTests.Fixture>
{
    public sealed class Fixture : IAsyncLifetime
    {
        public TestWebhookSigner Signer { get; } = new();

        public WebhookHost Host { get; private set; } = null!;

        public async Task InitializeAsync() => Host = await WebhookHost.StartAsync([Signer.PublicKeyPem]);

        public async Task DisposeAsync()
        {
            await Host.DisposeAsync();
            Signer.Dispose();
        }
    }

    private WebhookHost Host => fixture.Host;

    private TestWebhookSigner Signer => fixture.Signer;

    private static (string Id, byte[] Body) NewRefundEvent(bool livemode = false)
    {
        var id = TestEvents.NewId("evt_");
        return (id, TestEvents.Bytes(TestEvents.RefundSucceeded(id, TestEvents.NewId("re_"), livemode: livemode)));
    }

    private async Task AssertUnauthorizedAndNotStoredAsync(Delivery delivery, string eventId)
    {
        Assert.Equal(401, delivery.Status);
        Assert.True(delivery.ReachedFunction);
        // Short, and silent about which check failed.
        Assert.Equal("unauthorized", JsonDocument.Parse(delivery.Body).RootElement.GetProperty("outcome").GetString());
        Assert.DoesNotContain("missing", delivery.Body);
        Assert.DoesNotContain("malformed", delivery.Body);
        Assert.DoesNotContain("invalid", delivery.Body);
        Assert.Null(await Host.Store.GetAsync(eventId, CancellationToken.None));
    }

    [Fact]
    public async Task Missing_signature_header_gets_401()
    {
        var (id, body) = NewRefundEvent();
        await AssertUnauthorizedAndNotStoredAsync(await Host.PostAsync(body, signature: null), id);
    }

    [Fact]
    public async Task Empty_signature_header_gets_401()
    {
        var (id, body) = NewRefundEvent();
        await AssertUnauthorizedAndNotStoredAsync(await Host.PostAsync(body, ""), id);
    }

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("QUJD")]
    [InlineData("====")]
    public async Task Malformed_signature_gets_401(string signature)
    {
        var (id, body) = NewRefundEvent();
        await AssertUnauthorizedAndNotStoredAsync(await Host.PostAsync(body, signature), id);
    }

    [Fact]
    public async Task Signature_by_a_key_that_is_not_configured_gets_401()
    {
        using var stranger = new TestWebhookSigner();
        var (id, body) = NewRefundEvent();
        await AssertUnauthorizedAndNotStoredAsync(await Host.PostAsync(body, stranger.Sign(body)), id);
    }

    [Fact]
    public async Task Signature_of_another_body_gets_401()
    {
        var (id, body) = NewRefundEvent();
        var (_, other) = NewRefundEvent();
        await AssertUnauthorizedAndNotStoredAsync(await Host.PostAsync(body, Signer.Sign(other)), id);
    }

    [Theory]
    [InlineData("x-pingplusplus-signature")]
    [InlineData("X-PINGPLUSPLUS-SIGNATURE")]
    [InlineData("x-PingPlusPlus-signature")]
    public async Task Signature_header_is_found_in_any_case(string headerName)
    {
        var (id, body) = NewRefundEvent();

        var delivery = await Host.PostAsync(body, Signer.Sign(body), headerName);

        Assert.Equal(200, delivery.Status);
        Assert.NotNull(await Host.Store.GetAsync(id, CancellationToken.None));
    }

    public static TheoryData<string, byte[], string> NotEvents() => new()
    {
        { "not JSON", Encoding.UTF8.GetBytes("charge.succeeded evt_123"), "body is not JSON" },
        { "not UTF-8", [.. Encoding.UTF8.GetBytes("""{"id":"evt_1","object":"event","type":"x","note":" """), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"}")], "body is not valid UTF-8" },
        { "JSON array", Encoding.UTF8.GetBytes("[1,2,3]"), "body is not a JSON object" },
        { "object is not event", Event(e => e["object"] = "charge"), "object is not \"event\"" },
        { "no id", Event(e => e.Remove("id")), "event has no id" },
        { "no type", Event(e => e.Remove("type")), "event has no type" },
        { "refund amount out of range", Event(e => e["data"]!["object"]!["amount"] = JsonNode.Parse("99999999999999999999")), "data.object is not a valid refund" },
    };

    [Theory]
    [MemberData(nameof(NotEvents))]
    public async Task Validly_signed_body_that_is_not_a_pingpp_event_gets_400_with_a_short_reason(string what, byte[] body, string reason)
    {
        var rowsBefore = await Host.CountEventRowsAsync();

        var delivery = await Host.PostAsync(body, Signer.Sign(body));

        Assert.True(delivery.Status == 400, $"{what}: {delivery.Status}");
        var answer = JsonDocument.Parse(delivery.Body).RootElement;
        Assert.Equal("bad_request", answer.GetProperty("outcome").GetString());
        Assert.Equal(reason, answer.GetProperty("reason").GetString());
        Assert.True(delivery.Body.Length < 200, "a short reason, not an echo of the body");
        // xunit runs the tests of one class one after another, so the shared table's row count is this test's to check.
        Assert.Equal(rowsBefore, await Host.CountEventRowsAsync());
        if (TryGetId(body) is { } id)
        {
            Assert.Null(await Host.Store.GetAsync(id, CancellationToken.None));
        }
    }

    [Fact]
    public async Task Unsigned_test_mode_event_is_refused_when_the_flag_is_off_which_is_the_default()
    {
        var (id, body) = NewRefundEvent(livemode: false);
        await AssertUnauthorizedAndNotStoredAsync(await Host.PostAsync(body, signature: null), id);
    }

    [Fact]
    public async Task Unsigned_test_mode_event_is_accepted_only_with_AllowUnsignedTestEvents_and_never_in_live_mode()
    {
        using var signer = new TestWebhookSigner();
        await using var lenient = await WebhookHost.StartAsync([signer.PublicKeyPem], allowUnsignedTestEvents: true);
        await using var strict = await WebhookHost.StartAsync([signer.PublicKeyPem], allowUnsignedTestEvents: false);
        var (testId, testEvent) = NewRefundEvent(livemode: false);
        var (liveId, liveEvent) = NewRefundEvent(livemode: true);

        var strictAnswer = await strict.PostAsync(testEvent, signature: null);
        var testAnswer = await lenient.PostAsync(testEvent, signature: null);
        var emptyHeaderAnswer = await lenient.PostAsync(NewRefundEvent(livemode: false).Body, "");
        var liveAnswer = await lenient.PostAsync(liveEvent, signature: null);
        var badSignatureAnswer = await lenient.PostAsync(NewRefundEvent(livemode: false).Body, "QUJD");

        Assert.Equal(401, strictAnswer.Status);
        Assert.Null(await strict.Store.GetAsync(testId, CancellationToken.None));
        Assert.Equal(200, testAnswer.Status);
        var stored = await lenient.Store.GetAsync(testId, CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Null(stored.SignatureHeader);
        Assert.Equal(testEvent, stored.Body.ToArray());
        Assert.Equal(200, emptyHeaderAnswer.Status);
        Assert.Equal(401, liveAnswer.Status);
        Assert.Null(await lenient.Store.GetAsync(liveId, CancellationToken.None));
        // The flag covers missing signatures only: a bad one is still a bad one.
        Assert.Equal(401, badSignatureAnswer.Status);
    }

    [Fact]
    public async Task Get_is_not_served_on_the_webhook_route()
    {
        using var response = await Host.Client.GetAsync(WebhookHost.Path);
        Assert.False(response.IsSuccessStatusCode);
    }

    private static byte[] Event(Action<JsonObject> change)
    {
        var e = TestEvents.RefundSucceeded(TestEvents.NewId("evt_"), TestEvents.NewId("re_"));
        change(e);
        return TestEvents.Bytes(e);
    }

    private static string? TryGetId(byte[] body)
    {
        try
        {
            var root = JsonDocument.Parse(body).RootElement;
            return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
