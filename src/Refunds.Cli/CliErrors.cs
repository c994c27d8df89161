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

    /// <summary>Invalid arguments or an invalid refund request (nothing was sent).</summary>
    public const int Invalid = 2;

    public const int Canceled = 130;
}

internal static class KeyRefusal
{
    /// <summary>What a 401/403 from the function app means, and where the key comes from.</summary>
    public static string Message(int code, string detail = "")
        => $"the function app refused the call ({code}){detail}; pass its function key with --key, REFUNDS_KEY or KEY (source .local/refunds.env sets KEY)";
}
