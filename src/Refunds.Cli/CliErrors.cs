namespace Refunds.Cli;

/// <summary>The command line cannot be understood: exit code 2, the message and a pointer to the command's help.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>A failure the user can act on, shown as one line (never a stack trace).</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Failed) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Something did not work or did not finish.</summary>
    public const int Failed = 1;

    /// <summary>Invalid arguments or an invalid refund request (nothing was sent), or the app answered 400 to the input.</summary>
    public const int Invalid = 2;

    /// <summary>The app knows no such request, event or problem (404).</summary>
    public const int NotFound = 3;

    /// <summary>The action does not apply in the item's current state (409): nothing changed.</summary>
    public const int NotAllowed = 4;

    /// <summary>The app refused the key (401/403): a missing or wrong key, or a function key on an operator (master key) route.</summary>
    public const int KeyRefused = 5;

    /// <summary>The app (or the simulator, or storage) could not be reached or did not answer in time.</summary>
    public const int Unreachable = 6;

    /// <summary>Ctrl-C.</summary>
    public const int Canceled = 130;

    /// <summary>The exit codes as the help and README list them.</summary>
    public const string Summary = "0 done; 1 failed or not finished; 2 invalid arguments or input (nothing sent, or the app answered 400); "
        + "3 not found (404); 4 not allowed in the current state (409); 5 key refused (401/403); 6 app, simulator or storage unreachable; 130 canceled";
}

internal static class KeyRefusal
{
    /// <summary>What a 401/403 from the function app means, and where the key comes from.</summary>
    public static string Message(int code, string detail = "")
        => $"the function app refused the call ({code}){detail}; pass its function key with --key, REFUNDS_KEY or KEY (source .local/refunds.env sets KEY)";
}
