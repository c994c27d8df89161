namespace Refunds.Cli;

/// <summary>
/// The few shapes this CLI needs: <c>--name value</c>, <c>--name=value</c>, repeatable options, flags and positionals.
/// Hand-rolled so usage errors, exit codes and the output writers stay under the command runner's control.
/// </summary>
internal sealed class CommandLineArguments
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly List<string> _positionals = [];

    private CommandLineArguments()
    {
    }

    public IReadOnlyList<string> Positionals => _positionals;

    /// <param name="valueOptions">Options that take one value (given twice is an error unless also in <paramref name="repeatable"/>).</param>
    /// <param name="flags">Options without a value.</param>
    /// <param name="repeatable">Options that may be given several times; each also takes the following <c>k=v</c> tokens.</param>
    public static CommandLineArguments Parse(IReadOnlyList<string> args, IEnumerable<string> valueOptions,
        IEnumerable<string> flags, IEnumerable<string>? repeatable = null)
    {
        var values = valueOptions.ToHashSet(StringComparer.Ordinal);
        var flagSet = flags.ToHashSet(StringComparer.Ordinal);
        var repeats = (repeatable ?? []).ToHashSet(StringComparer.Ordinal);
        var result = new CommandLineArguments();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg == "--")
            {
                result._positionals.Add(arg);
                continue;
            }

            var (name, inline) = arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
            if (flagSet.Contains(name))
            {
                if (inline is not null)
                {
                    throw new UsageException($"{name} takes no value");
                }

                result._flags.Add(name);
                continue;
            }

            if (!values.Contains(name) && !repeats.Contains(name))
            {
                throw new UsageException($"unknown option {name}");
            }

            string value;
            if (inline is not null)
            {
                value = inline;
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = args[++i];
            }
            else
            {
                throw new UsageException($"{name} needs a value");
            }

            if (!result._values.TryGetValue(name, out var list))
            {
                result._values[name] = list = [];
            }
            else if (!repeats.Contains(name))
            {
                throw new UsageException($"{name} is given more than once");
            }

            list.Add(value);
            if (repeats.Contains(name))
            {
                // "--metadata a=1 b=2": take the following key=value tokens too, but never a positional like an order id.
                while (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Contains('=', StringComparison.Ordinal))
                {
                    list.Add(args[++i]);
                }
            }
        }

        return result;
    }

    public string? Value(string name) => _values.TryGetValue(name, out var list) ? list[0] : null;

    public IReadOnlyList<string> Values(string name) => _values.TryGetValue(name, out var list) ? list : [];

    public bool Flag(string name) => _flags.Contains(name);

    /// <summary>A whole positive number option, or <paramref name="fallback"/> when absent.</summary>
    public int PositiveInt(string name, int fallback)
    {
        var raw = Value(name);
        if (raw is null)
        {
            return fallback;
        }

        return int.TryParse(raw, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new UsageException($"{name} must be a whole number above 0, not '{raw}'");
    }

    /// <summary>An absolute http(s) URL option, or <paramref name="fallback"/>.</summary>
    public Uri Url(string name, string fallback)
    {
        var raw = Value(name) ?? fallback;
        return Uri.TryCreate(raw.TrimEnd('/') + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new UsageException($"{name} must be an http(s) URL, not '{raw}'");
    }
}

/// <summary>The command line cannot be understood: exit code 2, the message and a pointer to --help.</summary>
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
