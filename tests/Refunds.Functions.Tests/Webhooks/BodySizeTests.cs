using Refunds.Core.Http;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Refunds.Core.Webhooks;
using Refunds.Functions.Webhooks;

namespace Refunds.Functions.Tests.Webhooks;

public sealed class BodySizeTests
{
    private const int Limit = WebhookOptions.MaxBodyBytesLimit;

    [Fact]
    public async Task An_event_over_64_KiB_round_trips_and_its_stored_bytes_still_verify()
    {
        using var signer = new TestWebhookSigner();
        await using var host = await WebhookHost.StartAsync([signer.PublicKeyPem]);
        var eventId = TestEvents.NewId("evt_");
        var refundId = TestEvents.NewId("re_");
        // Chinese text: three UTF-8 bytes per character, so chunk boundaries fall inside characters.
        var body = TestEvents.Bytes(TestEvents.RefundSucceeded(eventId, refundId, padding: string.Concat(Enumerable.Repeat("退款备注", 9000))));
        Assert.InRange(body.Length, 100 * 1024, 200 * 1024);
        var signature = signer.Sign(body);

        Assert.Equal(200, (await host.PostAsync(body, signature)).Status);

        var stored = await host.Store.GetAsync(eventId, CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal(body, stored.Body.ToArray());
        Assert.Equal(signature, stored.SignatureHeader);
        Assert.NotNull(await host.Ledger.GetRefundAsync(refundId, CancellationToken.None));
    }

    [Fact]
    public async Task An_event_of_exactly_1_MiB_is_accepted_and_one_byte_more_gets_413()
    {
        using var signer = new TestWebhookSigner();
        await using var host = await WebhookHost.StartAsync([signer.PublicKeyPem]);
        var atLimit = EventOfSize(Limit, out var atLimitId);
        var overLimit = EventOfSize(Limit + 1, out var overLimitId);

        var over = await host.PostAsync(overLimit, signer.Sign(overLimit));
        var at = await host.PostAsync(atLimit, signer.Sign(atLimit));

        Assert.Equal(413, over.Status);
        Assert.True(over.ReachedFunction);
        Assert.Null(await host.Store.GetAsync(overLimitId, CancellationToken.None));
        Assert.Equal(200, at.Status);
        var stored = await host.Store.GetAsync(atLimitId, CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal(atLimit, stored.Body.ToArray());
    }

    [Fact]
    public async Task A_chunked_body_that_passes_1_MiB_gets_413_and_nothing_is_stored()
    {
        using var signer = new TestWebhookSigner();
        await using var host = await WebhookHost.StartAsync([signer.PublicKeyPem]);
        var body = EventOfSize(Limit + 64 * 1024, out var eventId);
        using var request = new HttpRequestMessage(HttpMethod.Post, WebhookHost.Path)
        {
            // A stream of unknown length: HttpClient sends it chunked, without Content-Length.
            Content = new StreamContent(new UnseekableStream(body)),
        };
        request.Headers.Add("X-Pingplusplus-Signature", signer.Sign(body));

        var delivery = await host.SendAsync(request);

        Assert.Equal(413, delivery.Status);
        Assert.Null(await host.Store.GetAsync(eventId, CancellationToken.None));
    }

    [Fact]
    public async Task Content_length_over_the_limit_is_refused_without_reading_the_body()
    {
        var source = new CountingStream(new byte[Limit + 1]);
        var request = new DefaultHttpContext().Request;
        request.ContentLength = Limit + 1;
        request.Body = source;

        var body = await BoundedBody.ReadAsync(request.Body, request.ContentLength, Limit, CancellationToken.None);

        Assert.True(body.IsTooLarge);
        Assert.Equal(Limit + 1, body.BytesDeclaredOrSeen);
        Assert.Equal(0, source.BytesRead);
    }

    [Fact]
    public async Task A_body_without_length_stops_being_read_soon_after_the_limit()
    {
        var source = new CountingStream(new byte[4 * Limit]);
        var request = new DefaultHttpContext().Request;
        request.Body = source;

        var body = await BoundedBody.ReadAsync(request.Body, request.ContentLength, Limit, CancellationToken.None);

        Assert.True(body.IsTooLarge);
        Assert.Equal(Limit + 1, source.BytesRead);
    }

    [Fact]
    public async Task A_body_without_length_under_the_limit_is_read_whole()
    {
        var bytes = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("支付", 50_000)));
        var request = new DefaultHttpContext().Request;
        request.Body = new CountingStream(bytes);

        var body = await BoundedBody.ReadAsync(request.Body, request.ContentLength, Limit, CancellationToken.None);

        Assert.False(body.IsTooLarge);
        Assert.Equal(bytes, body.Bytes.ToArray());
    }

    /// <summary>A signed-size event: an unknown type (stored, not applied) padded to exactly <paramref name="size"/> bytes.</summary>
    private static byte[] EventOfSize(int size, out string eventId)
    {
        eventId = TestEvents.NewId("evt_");
        var e = TestEvents.Event(eventId, "summary.daily.available", new JsonObject { ["object"] = "summary", ["note"] = "" });
        var empty = TestEvents.Bytes(e).Length;
        ((JsonObject)e["data"]!["object"]!)["note"] = new string('x', size - empty);
        var bytes = TestEvents.Bytes(e);
        Assert.Equal(size, bytes.Length);
        return bytes;
    }

    /// <summary>Serves bytes in small reads and counts what was taken; no length, no seeking.</summary>
    private class CountingStream(byte[] bytes) : Stream
    {
        private int _position;

        public int BytesRead => _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, 8 * 1024), bytes.Length - _position);
            Array.Copy(bytes, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class UnseekableStream(byte[] bytes) : CountingStream(bytes);
}
