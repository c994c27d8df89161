namespace Refunds.Core.Pingpp;

/// <summary>
/// The Ping++ request string-to-sign: body bytes + request URI (path with <c>/v1</c>, plus <c>?query</c> when there is
/// one, exactly as sent) + Unix timestamp in seconds. No separators. Public so a simulator can verify the same bytes.
/// </summary>
public static class PingppRequestSignature
{
    public static byte[] BuildStringToSign(ReadOnlySpan<byte> body, string pathAndQuery, long unixSeconds)
    {
        ArgumentException.ThrowIfNullOrEmpty(pathAndQuery);
        if (pathAndQuery[0] != '/')
        {
            throw new ArgumentException("The request URI must start with '/'.", nameof(pathAndQuery));
        }

        // The URI and timestamp are ASCII by construction (validated ids, integer query values).
        var uriBytes = System.Text.Encoding.UTF8.GetBytes(pathAndQuery);
        var tsBytes = System.Text.Encoding.ASCII.GetBytes(unixSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var result = new byte[body.Length + uriBytes.Length + tsBytes.Length];
        body.CopyTo(result);
        uriBytes.CopyTo(result.AsSpan(body.Length));
        tsBytes.CopyTo(result.AsSpan(body.Length + uriBytes.Length));
        return result;
    }

    /// <summary>The string-to-sign for a request about to go to <paramref name="uri"/>; a URI without query gets no '?'.</summary>
    public static byte[] BuildStringToSign(ReadOnlySpan<byte> body, Uri uri, long unixSeconds)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return BuildStringToSign(body, uri.PathAndQuery, unixSeconds);
    }
}
