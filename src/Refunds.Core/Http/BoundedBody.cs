namespace Refunds.Core.Http;

/// <summary>
/// A body read once, as raw bytes, up to a limit: webhook requests (the signature is over exactly these bytes) and
/// Ping++ responses. A sender cannot make us hold more than the limit, nor reserve it by declaring a large length:
/// memory grows with the bytes that actually arrive. Past the limit reading stops and the rest is never read.
/// </summary>
public readonly record struct BoundedBody(ReadOnlyMemory<byte> Bytes, bool IsTooLarge, long BytesDeclaredOrSeen)
{
    private const int InitialBufferBytes = 16 * 1024;

    /// <summary>
    /// Reads <paramref name="body"/>. A <paramref name="declaredLength"/> above <paramref name="maxBytes"/> is refused
    /// without reading anything; otherwise the body is refused as soon as it passes the limit.
    /// </summary>
    public static async Task<BoundedBody> ReadAsync(Stream body, long? declaredLength, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        if (declaredLength is { } declared && declared > maxBytes)
        {
            return new BoundedBody(ReadOnlyMemory<byte>.Empty, true, declared);
        }

        // One byte of headroom beyond the limit, so that "one byte too many" is seen without reading further. The
        // declared length only sizes the first buffer up to 16 KiB: a declared length costs nothing until bytes come.
        var buffer = new byte[(int)Math.Min(Math.Min(declaredLength ?? InitialBufferBytes, InitialBufferBytes), maxBytes) + 1];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(buffer.Length * 2L, maxBytes + 1L));
            }

            var read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return new BoundedBody(buffer.AsMemory(0, length), false, length);
            }

            length += read;
            if (length > maxBytes)
            {
                return new BoundedBody(ReadOnlyMemory<byte>.Empty, true, length);
            }
        }
    }
}
