using System.Text;
using Refunds.Core.Webhooks;

namespace Refunds.IntegrationTests;

public class WebhookEventStoreTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Vectors_are_stored_byte_for_byte_and_reverify_from_storage(int n)
    {
        using var h = ReceiverHarness.Create([VectorFiles.Text($"webhook{n}_pingpp_public_key.pem")]);
        var body = VectorFiles.Bytes($"webhook{n}_body.json");
        var signature = VectorFiles.Text($"webhook{n}_signature.b64");

        var receipt = await h.Receiver.ReceiveAsync(body, signature, CancellationToken.None);
        Assert.Equal(200, receipt.StatusCode);

        var stored = await h.Store.GetAsync(receipt.EventId!, CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal(body, stored.Body.ToArray());
        Assert.Equal(signature, stored.SignatureHeader);
        Assert.Equal(WebhookSignatureResult.Valid, h.Verifier.Verify(stored.Body.Span, stored.SignatureHeader));
        Assert.True(stored.Applied);
    }

    [Fact]
    public async Task Chinese_text_of_vector2_round_trips_exactly()
    {
        using var h = ReceiverHarness.Create([VectorFiles.Text("webhook2_pingpp_public_key.pem")]);
        var body = VectorFiles.Bytes("webhook2_body.json");
        var receipt = await h.Receiver.ReceiveAsync(body, VectorFiles.Text("webhook2_signature.b64"), CancellationToken.None);

        var stored = await h.Store.GetAsync("evt_04qN8cXQvIhssduhS4hpqd9p", CancellationToken.None);
        Assert.Equal(WebhookOutcome.Stored, receipt.Outcome);
        Assert.Contains("\"xx公司\"", Encoding.UTF8.GetString(stored!.Body.Span));
        Assert.Equal(body, stored.Body.ToArray());
        Assert.Equal(("account.summary.available", false), (stored.Type, stored.Livemode));
    }

    [Theory]
    [InlineData(64 * 1024 + 1)]
    [InlineData(300 * 1024)]
    [InlineData(768 * 1024)]
    [InlineData(768 * 1024 + 1)]
    [InlineData(1024 * 1024)]
    public async Task Large_bodies_round_trip(int length)
    {
        var store = new WebhookEventStore(Azurite.Tables(), Azurite.UniqueTable("evt"));
        var body = new byte[length];
        new Random(length).NextBytes(body);
        var eventId = "evt_big" + length;

        var added = await store.AddAsync(new StoredWebhookEvent { EventId = eventId, Type = "x", Body = body, SignatureHeader = "sig" }, CancellationToken.None);
        var stored = await store.GetAsync(eventId, CancellationToken.None);

        Assert.True(added.Added);
        Assert.Equal(body, stored!.Body.ToArray());
    }

    [Fact]
    public async Task Signed_body_over_64KiB_goes_through_the_receiver_and_reverifies()
    {
        using var signer = new TestSigner();
        using var h = ReceiverHarness.Create([signer.PublicKeyPem]);
        var body = Events.Unknown("evt_large1", livemode: true, padding: 200 * 1024);
        var receipt = await h.Receiver.ReceiveAsync(body, signer.Sign(body), CancellationToken.None);

        var stored = await h.Store.GetAsync("evt_large1", CancellationToken.None);
        Assert.Equal(WebhookOutcome.Stored, receipt.Outcome);
        Assert.Equal(body, stored!.Body.ToArray());
        Assert.Equal(WebhookSignatureResult.Valid, h.Verifier.Verify(stored.Body.Span, stored.SignatureHeader));
    }

    [Fact]
    public async Task Second_add_of_an_event_id_is_a_duplicate_and_returns_the_first_copy()
    {
        var store = new WebhookEventStore(Azurite.Tables(), Azurite.UniqueTable("evt"));
        var first = new StoredWebhookEvent { EventId = "evt_dup", Type = "a", Body = "first"u8.ToArray(), RefundId = "re_1" };
        var second = first with { Body = "second"u8.ToArray(), RefundId = "re_2" };

        Assert.True((await store.AddAsync(first, CancellationToken.None)).Added);
        var again = await store.AddAsync(second, CancellationToken.None);

        Assert.False(again.Added);
        Assert.Equal("first"u8.ToArray(), again.Stored.Body.ToArray());
        Assert.Equal("re_1", again.Stored.RefundId);
    }

    [Fact]
    public void Partition_keys_are_stable_buckets_of_the_event_id()
    {
        var partitions = Enumerable.Range(0, 2000).Select(i => WebhookEventStore.PartitionKeyFor("evt_" + i)).ToList();
        Assert.All(partitions, p => Assert.Matches("^[0-6][0-9]$", p));
        Assert.True(partitions.Distinct().Count() > 50);
        Assert.Equal(WebhookEventStore.PartitionKeyFor("evt_eYa58Wd44Glerl8AgfYfd1sL"), WebhookEventStore.PartitionKeyFor("evt_eYa58Wd44Glerl8AgfYfd1sL"));
    }
}
