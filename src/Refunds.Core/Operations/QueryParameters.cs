using System.Globalization;
using Refunds.Core.Storage;

namespace Refunds.Core.Operations;

/// <summary>Reads the operator routes' query parameters, refusing each bad one by name (<see cref="OperatorParameterException"/>).</summary>
public sealed class QueryParameters(Func<string, string?> get)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    public string? Text(string name) => get(name) is { Length: > 0 } value ? value : null;

    public string? Id(string name)
    {
        var value = Text(name);
        return value is null || TableKeys.IdProblem(value) is not { } problem ? value : throw new OperatorParameterException(name, $"{name} {problem}.");
    }

    public long? Amount(string name)
    {
        var value = Text(name);
        if (value is null)
        {
            return null;
        }

        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var fen)
            ? fen
            : throw new OperatorParameterException(name, $"{name} must be a whole number of fen (0 or more).");
    }

    public int Int(string name, int defaultValue, int min, int max)
    {
        var value = Text(name);
        if (value is null)
        {
            return defaultValue;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max
            ? number
            : throw new OperatorParameterException(name, $"{name} must be a whole number from {min} to {max}.");
    }

    public int PageSize() => Int("page_size", DefaultPageSize, 1, MaxPageSize);

    /// <summary>An ISO 8601 time with its offset (<c>2026-12-06T00:00:00+08:00</c>).</summary>
    public DateTimeOffset? Time(string name)
    {
        var value = Text(name);
        if (value is null)
        {
            return null;
        }

        var hasOffset = value.EndsWith('Z') || value.EndsWith('z') || (value.Length > 6 && value[^6] is '+' or '-' && value[^3] == ':');
        return hasOffset && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            ? at.ToUniversalTime()
            : throw new OperatorParameterException(name, $"{name} must be an ISO 8601 time with an offset, e.g. 2026-12-06T00:00:00+08:00.");
    }

    /// <summary><c>since</c> and <c>until</c> (exclusive), refused when the range is empty.</summary>
    public (DateTimeOffset? Since, DateTimeOffset? Until) TimeRange()
    {
        var since = Time("since");
        var until = Time("until");
        return since is not null && until is not null && since >= until
            ? throw new OperatorParameterException("since", "since must be before until (until is exclusive).")
            : (since, until);
    }

    /// <summary>A comma-separated list, each item one of <paramref name="allowed"/>; null when absent.</summary>
    public IReadOnlyList<string>? List(string name, IReadOnlyList<string> allowed)
    {
        var value = Text(name);
        if (value is null)
        {
            return null;
        }

        var items = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
        var unknown = items.FirstOrDefault(i => !allowed.Contains(i, StringComparer.Ordinal));
        return items.Count == 0 || unknown is not null
            ? throw new OperatorParameterException(name, $"{name} '{unknown ?? value}' is not one of: {string.Join(", ", allowed)}.")
            : items;
    }

    public bool Flag(string name)
        => Text(name) switch
        {
            null or "false" => false,
            "true" => true,
            _ => throw new OperatorParameterException(name, $"{name} must be true or false."),
        };
}
