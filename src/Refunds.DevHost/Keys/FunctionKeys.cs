using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Azure.Functions.Worker;
using Refunds.Core.Callers;

namespace Refunds.DevHost.Keys;

/// <summary>Which key a caller presented, as the host tells them apart.</summary>
public enum KeyScope
{
    None,
    Function,
    Host,
    Master,
}

/// <summary>
/// The keys the local host checks HTTP calls against, as the Functions host does: anonymous functions take anything;
/// function-level functions take one of their own keys, a host key or the master key; admin-level functions take
/// only the master key. System keys open no function route (they are for extension webhooks under /runtime).
/// </summary>
public sealed class FunctionKeys(
    string masterKey,
    IReadOnlyDictionary<string, string> hostKeys,
    IReadOnlyDictionary<string, string> systemKeys,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> functionKeys)
{
    /// <summary>The header the host reads a key from; <c>?code=</c> is read when the header is absent.</summary>
    public const string Header = "x-functions-key";

    public const string QueryParameter = "code";

    public string MasterKey { get; } = masterKey;

    /// <summary>Host-level function keys by name (host.json <c>functionKeys</c>).</summary>
    public IReadOnlyDictionary<string, string> HostKeys { get; } = hostKeys;

    public IReadOnlyDictionary<string, string> SystemKeys { get; } = systemKeys;

    /// <summary>Each function's own keys by name (<c>&lt;function&gt;.json</c>).</summary>
    public IReadOnlyDictionary<string, string> For(string functionName)
        => functionKeys.TryGetValue(functionName, out var keys) ? keys : new Dictionary<string, string>();

    /// <summary>What <paramref name="presented"/> is for the function <paramref name="functionName"/>: its key, a host key, the master key, or nothing.</summary>
    public KeyScope Identify(string functionName, string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return KeyScope.None;
        }

        if (Matches(MasterKey, presented))
        {
            return KeyScope.Master;
        }

        // Every key is compared (constant time), so the answer's timing does not tell which key came closest.
        var host = HostKeys.Values.Aggregate(false, (found, key) => Matches(key, presented) | found);
        var own = For(functionName).Values.Aggregate(false, (found, key) => Matches(key, presented) | found);
        return host ? KeyScope.Host : own ? KeyScope.Function : KeyScope.None;
    }

    /// <summary>Whether a caller presenting <paramref name="presented"/> may call a function of <paramref name="level"/>.</summary>
    /// <remarks><c>User</c> needs App Service authentication, which no local host has: such a call is refused.</remarks>
    public bool Allows(AuthorizationLevel level, string functionName, string? presented)
    {
        if (level == AuthorizationLevel.Anonymous)
        {
            return true;
        }

        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        return level switch
        {
            AuthorizationLevel.Function => Identify(functionName, presented) != KeyScope.None,
            AuthorizationLevel.System => Identify(functionName, presented) == KeyScope.Master
                || SystemKeys.Values.Aggregate(false, (found, key) => Matches(key, presented) | found),
            AuthorizationLevel.Admin => Identify(functionName, presented) == KeyScope.Master,
            _ => false,
        };
    }

    /// <summary>The name the Functions host gives the master key in the key-name claim.</summary>
    public const string MasterKeyName = "master";

    /// <summary>
    /// The identity the Functions host puts on a request that presented a valid key, whatever the route's level
    /// (<c>AuthenticationLevelHandler</c>: master, then system, host and the function's own keys): authentication type
    /// <c>WebJobsAuthLevel</c>, the level it grants and the key's name as claims. Null when no key matched.
    /// </summary>
    public ClaimsPrincipal? Principal(string functionName, string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return null;
        }

        var (level, name) = Matches(MasterKey, presented) ? (AuthorizationLevel.Admin, MasterKeyName)
            : MatchingName(SystemKeys, presented) is { } system ? (AuthorizationLevel.System, system)
            : MatchingName(HostKeys, presented) is { } host ? (AuthorizationLevel.Function, host)
            : MatchingName(For(functionName), presented) is { } own ? (AuthorizationLevel.Function, own)
            : (AuthorizationLevel.Anonymous, null);
        if (name is null)
        {
            return null;
        }

        Claim[] claims =
        [
            new(Caller.AuthLevelClaim, level.ToString()),
            new("http://schemas.microsoft.com/2017/07/functions/claims/invoke", "true"),
            new(Caller.KeyNameClaim, name),
        ];
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Caller.KeyAuthenticationType));
    }

    /// <summary>The key of a request: the <c>x-functions-key</c> header, else the <c>code</c> query parameter.</summary>
    public static string? Presented(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        var header = request.Headers[Header].ToString();
        return header.Length > 0 ? header : request.Query[QueryParameter].ToString() is { Length: > 0 } code ? code : null;
    }

    /// <summary>The name of the key that matches (every key compared in constant time), or null.</summary>
    private static string? MatchingName(IReadOnlyDictionary<string, string> keys, string presented)
        => keys.Aggregate((string?)null, (found, key) => Matches(key.Value, presented) && found is null ? key.Key : found);

    private static bool Matches(string key, string presented)
        => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(presented));
}
