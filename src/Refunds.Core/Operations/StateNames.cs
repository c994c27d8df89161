using System.Text;

namespace Refunds.Core.Operations;

/// <summary>
/// Request state names as the operator API spells them (<c>dead_lettered</c>) and as the ledger and index store them
/// (<c>DeadLettered</c>). The contract's names are accepted even before the enum has them all (a filter on a state
/// no request is in yet matches nothing).
/// </summary>
public static class StateNames
{
    /// <summary>Every request state of the operator contract (CONTRACT-23), in API spelling.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        "received", "submitting", "submitted", "succeeded", "failed", "rejected", "dead_lettered", "needs_review",
        "awaiting_approval", "canceled",
    ];

    /// <summary><c>dead_lettered</c> → <c>DeadLettered</c>; null when it is not a state of the contract.</summary>
    public static string? FromApi(string name)
    {
        if (!All.Contains(name, StringComparer.Ordinal))
        {
            return null;
        }

        var builder = new StringBuilder(name.Length);
        foreach (var word in name.Split('_'))
        {
            builder.Append(char.ToUpperInvariant(word[0])).Append(word.AsSpan(1));
        }

        return builder.ToString();
    }

    /// <summary><c>DeadLettered</c> → <c>dead_lettered</c>.</summary>
    public static string ToApi(string stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var builder = new StringBuilder(stored.Length + 4);
        for (var i = 0; i < stored.Length; i++)
        {
            if (char.IsUpper(stored[i]) && i > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(stored[i]));
        }

        return builder.ToString();
    }
}
