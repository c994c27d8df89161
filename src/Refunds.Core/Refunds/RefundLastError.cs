using Refunds.Core.Pingpp;

namespace Refunds.Core.Refunds;

/// <summary>
/// What a request's <c>last_error</c> says: a stable code (<c>create: not_sent</c>, <c>lookup: outcome_unknown</c>, …)
/// and a short message written here, never an exception's text: that can hold a Key Vault key id, host names or a
/// library's internals, and <c>last_error</c> is shown through the API. The full exception goes to the logs only.
/// </summary>
public static class RefundLastError
{
    /// <summary>For a Ping++ call at <paramref name="stage"/> (<c>create</c>, <c>lookup</c>) that did not finish.</summary>
    public static string For(string stage, PingppException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var status = e.StatusCode is { } code ? $" (HTTP {code})" : "";
        return e.Kind switch
        {
            PingppErrorKind.NotSent when e.StatusCode == 401 => $"{stage}: unauthorized{status}: Ping++ refused our credentials (clock skew or a rotated key); retried",
            PingppErrorKind.NotSent => $"{stage}: not_sent: not sent to Ping++ (signing, connection or time budget); retried",
            PingppErrorKind.RateLimited => $"{stage}: rate_limited{status}: Ping++ asked us to slow down; retried later",
            PingppErrorKind.OutcomeUnknown => $"{stage}: outcome_unknown{status}: no clear answer from Ping++ (timeout, server error or an unreadable answer); looked up before any new create",
            PingppErrorKind.Rejected => $"{stage}: rejected{status}: {e.ErrorCode ?? e.ErrorType ?? "refused"}",
            _ => $"{stage}: error{status}",
        };
    }

    /// <summary>For a failure around a Ping++ call that is not a Ping++ answer (a bug, a resource failure).</summary>
    public static string Unexpected(string stage) => $"{stage}: internal_error: an error around the Ping++ call; outcome unknown, looked up before any new create";
}
