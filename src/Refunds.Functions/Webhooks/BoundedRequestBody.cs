using Microsoft.AspNetCore.Http;

namespace Refunds.Functions.Webhooks;

/// <summary>
/// A request body read once, as raw bytes, up to a limit: the signature is over exactly these bytes, and a sender
/// must not make us buffer more than the limit. Past the limit reading stops and the rest is never read.
/// </summary>
public readonly record struct BoundedRequestBody(ReadOnlyMemory<byte> Bytes, bool IsTooLarge, long BytesDeclaredOrSeen)
{
    private const int InitialBufferBytes = 16 * 1024;

    /// <summary>
    /// Reads the body of <paramref name="request"/>. A Content-Length above <paramref name="maxBytes"/> is refused
    /// without reading anything; a body without Content-Length (chunked) is refused as soon as it passes the limit.
    /// </summary>
    public static async Task<BoundedRequestBody> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        if (request.ContentLength is { } declared && declared > maxBytes)
        {
            return new BoundedRequestBody(ReadOnlyMemory<byte>.Empty, true, declared);
        }

        // One byte of headroom beyond the limit, so that "one byte too many" is seen without reading further.
        var buffer = new byte[(int)Math.Min(request.ContentLength ?? InitialBufferBytes, maxBytes) + 1];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(buffer.Length * 2L, maxBytes + 1L));
            }

            var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                return new BoundedRequestBody(buffer.AsMemory(0, length), false, length);
            }

            length += read;
            if (length > maxBytes)
            {
                return new BoundedRequestBody(ReadOnlyMemory<byte>.Empty, true, length);
            }
        }
    }
}
