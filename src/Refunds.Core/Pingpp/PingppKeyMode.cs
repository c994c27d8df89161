namespace Refunds.Core.Pingpp;

/// <summary>
/// The mode a Ping++ secret key works in, read from its prefix: <c>sk_live_</c> / <c>rk_live_</c> are live keys,
/// <c>sk_test_</c> / <c>rk_test_</c> test keys. Events and settings are checked against it.
/// </summary>
public static class PingppKeyMode
{
    /// <summary>True for a live key, false for a test key, null when the prefix is neither (unknown mode).</summary>
    public static bool? IsLive(string? apiKey)
    {
        if (string.IsNullOrEmpty(apiKey) || apiKey.Length < 8 || apiKey[1] != 'k' || apiKey[2] != '_' || (apiKey[0] != 's' && apiKey[0] != 'r'))
        {
            return null;
        }

        return apiKey.AsSpan(3).StartsWith("live_", StringComparison.Ordinal) ? true
            : apiKey.AsSpan(3).StartsWith("test_", StringComparison.Ordinal) ? false
            : null;
    }

    /// <summary>True unless the key is known to be a test key: checks that guard live money treat an unknown mode as live.</summary>
    public static bool MayBeLive(string? apiKey) => IsLive(apiKey) != false;
}
