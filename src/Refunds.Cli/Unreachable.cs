using System.Net.Sockets;

namespace Refunds.Cli;

/// <summary>Turns "nothing listens there" into one line that names the address and says how to start the system.</summary>
internal static class Unreachable
{
    public const string Hint = "start the system with ./scripts/run-local.sh";

    /// <summary>True when <paramref name="ex"/> (or what it wraps) means the service could not be reached at all.</summary>
    public static bool IsConnectionFailure(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SocketException:
                case HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError }:
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Any(IsConnectionFailure):
                    return true;
            }
        }

        return false;
    }

    public static CliException Error(string what, Uri url, Exception ex)
    {
        var detail = Detail(ex);
        return new CliException($"cannot reach {what} at {url.GetLeftPart(UriPartial.Path).TrimEnd('/')}{detail}; is it running? {Hint}", ExitCodes.Unreachable);
    }

    private static string Detail(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => " (connection refused)",
                    SocketError.TimedOut => " (timed out)",
                    SocketError.HostNotFound => " (host not found)",
                    _ => "",
                };
            }

            if (e is AggregateException aggregate && aggregate.InnerExceptions.Count > 0)
            {
                return Detail(aggregate.InnerExceptions[0]);
            }
        }

        return "";
    }
}
