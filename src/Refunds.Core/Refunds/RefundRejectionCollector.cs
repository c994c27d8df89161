namespace Refunds.Core.Refunds;

/// <summary>
/// Every reason a refund request is rejected, each said once: a rule about a field already reported (or about a part
/// of it, such as <c>royalty_users[0].user</c> under <c>royalty_users</c>) is not said again.
/// </summary>
internal sealed class RefundRejectionCollector
{
    private readonly List<RefundRequestRejectionReason> _reasons = [];
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    public IReadOnlyList<RefundRequestRejectionReason> Reasons => _reasons;

    /// <summary>The list the rules append to (<see cref="RefundRequestRules.Validate"/>).</summary>
    public List<RefundRequestRejectionReason> RuleReasons => _reasons;

    public void Report(string field, string reason)
    {
        _reasons.Add(new(field, reason));
        _reported.Add(field);
    }

    /// <summary>Counts <paramref name="field"/> as said without a reason of its own (its problem was said under another name).</summary>
    public void MarkReported(string field) => _reported.Add(field);

    /// <summary>Whether <paramref name="field"/> itself was reported.</summary>
    public bool WasReported(string field) => _reported.Contains(field);

    /// <summary>Reports <paramref name="field"/> as required when it is absent and nothing was said about it yet.</summary>
    public void RequirePresent(string field, bool present)
    {
        if (!present && !_reported.Contains(field))
        {
            Report(field, "is required");
        }
    }

    /// <summary>
    /// A rule about a field already reported, or about a part of it, would say the same thing twice: true when
    /// <paramref name="field"/> or a field it belongs to (<c>a.b</c>, <c>a[0]</c> under <c>a</c>) was reported.
    /// </summary>
    public bool IsReported(string field)
    {
        if (_reported.Contains(field))
        {
            return true;
        }

        foreach (var reported in _reported)
        {
            if (field.Length > reported.Length && field.StartsWith(reported, StringComparison.Ordinal)
                && field[reported.Length] is '.' or '[')
            {
                return true;
            }
        }

        return false;
    }
}
