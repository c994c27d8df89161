using System.Globalization;
using Refunds.Core.Pingpp;
using Refunds.Core.Storage;

namespace Refunds.Core.Refunds;

/// <summary>
/// The limits and rules a refund request must satisfy, in one place for both entry points (queue and HTTP) and for
/// requests the app builds itself (anomaly refunds). Limits that Ping++ does not publish are chosen here and marked so.
/// </summary>
public static class RefundRequestRules
{
    /// <summary>A message (as received, UTF-8 bytes) above this is rejected before parsing: it is also the queue's own limit.</summary>
    public const int MaxMessageBytes = 64 * 1024;

    /// <summary>
    /// A valid request's canonical queue JSON must fit in this many bytes, so that it can be re-enqueued even when the
    /// queue binding base64-encodes it (48 KiB × 4/3 = 64 KiB).
    /// </summary>
    public const int MaxCanonicalJsonBytes = 48 * 1024;

    /// <summary>Request ids become Table Storage keys; 128 leaves room for a prefix within the 1 KiB key limit.</summary>
    public const int MaxRequestIdLength = TableKeys.MaxIdLength;

    /// <summary>Same limit as the Ping++ client's path-id check (ids go into the signed URI).</summary>
    public const int MaxOrderIdLength = 64;

    /// <summary>Ping++: "最多 255 个 Unicode 字符", counted here in Unicode code points.</summary>
    public const int MaxDescriptionCharacters = 255;

    /// <summary>
    /// Largest amount in fen accepted for <c>charge_amount</c> and <c>amount_refunded</c> (¥21,474,836.47): the Ping++ Java
    /// SDK types amounts as <c>Integer</c>, so Ping++ cannot take more. Chosen, not published by Ping++.
    /// </summary>
    public const long MaxAmount = int.MaxValue;

    /// <summary>Caller metadata keys; with our <see cref="PingppMetadata.RequestId"/> that makes 50 (Stripe-like; Ping++ publishes no limit).</summary>
    public const int MaxMetadataKeys = 49;

    /// <summary>Chosen (Stripe-like): Ping++ publishes no limit.</summary>
    public const int MaxMetadataKeyLength = 40;

    /// <summary>Chosen (Stripe-like): Ping++ publishes no limit.</summary>
    public const int MaxMetadataValueLength = 500;

    /// <summary>Royalty users one refund may claw back from; Ping++ publishes no limit, a real split has a handful.</summary>
    public const int MaxRoyaltyUsers = 50;

    /// <summary>Length of a royalty user id (Ping++ user ids are short merchant-chosen strings).</summary>
    public const int MaxRoyaltyUserLength = 64;

    /// <summary>Every rule that can be checked on a built request. Empty = valid.</summary>
    public static IReadOnlyList<RefundRequestRejectionReason> Validate(RefundRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var reasons = new List<RefundRequestRejectionReason>();
        Validate(request, reasons, static _ => false);
        return reasons;
    }

    /// <summary>Ping++ order id as this app accepts it: 1–64 ASCII letters, digits, '_' or '-' (real ones are 19 digits).</summary>
    public static bool IsPingppOrderId(string? value)
        => value is { Length: > 0 and <= MaxOrderIdLength } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    /// <summary>
    /// Why <paramref name="requestId"/> cannot be a request id, or null when it can: exactly the rule for ledger keys
    /// (<see cref="TableKeys.IdProblem"/>), so an id accepted here can never fail later in storage.
    /// </summary>
    public static string? RequestIdProblem(string? requestId)
        => string.IsNullOrWhiteSpace(requestId) ? "must not be empty" : TableKeys.IdProblem(requestId);

    internal static string ToWire(OrderRefundMode mode) => mode switch
    {
        OrderRefundMode.ToSource => "to_source",
        OrderRefundMode.ToBalance => "to_balance",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    internal static string ToWire(RefundFundingSource source) => source switch
    {
        RefundFundingSource.UnsettledFunds => "unsettled_funds",
        RefundFundingSource.RechargeFunds => "recharge_funds",
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, null),
    };

    internal static OrderRefundMode? RefundModeFromWire(string value) => value switch
    {
        "to_source" => OrderRefundMode.ToSource,
        "to_balance" => OrderRefundMode.ToBalance,
        _ => null,
    };

    internal static RefundFundingSource? FundingSourceFromWire(string value) => value switch
    {
        "unsettled_funds" => RefundFundingSource.UnsettledFunds,
        "recharge_funds" => RefundFundingSource.RechargeFunds,
        _ => null,
    };

    /// <param name="alreadyReported">
    /// True for a field the parser has already reported (wrong type, missing); rules about it or about its parts are then
    /// skipped, so each problem is reported once.
    /// </param>
    internal static void Validate(RefundRequest request, List<RefundRequestRejectionReason> reasons, Func<string, bool> alreadyReported)
    {
        void Reject(string field, string reason)
        {
            if (!alreadyReported(field))
            {
                reasons.Add(new(field, reason));
            }
        }

        if (RequestIdProblem(request.RequestId) is { } idProblem)
        {
            Reject(RefundRequestFields.RequestId, idProblem);
        }

        if (string.IsNullOrEmpty(request.OrderId))
        {
            Reject(RefundRequestFields.OrderId, "must not be empty");
        }
        else if (!IsPingppOrderId(request.OrderId))
        {
            Reject(RefundRequestFields.OrderId, $"is not a Ping++ order id (1–{MaxOrderIdLength} ASCII letters, digits, '_' or '-')");
        }

        ValidateDescription(request.Description, Reject);

        if (request.Charge is { } charge && !IsChargeId(charge))
        {
            Reject(RefundRequestFields.Charge, "is not a Ping++ charge id (ch_ followed by 1–61 ASCII letters or digits)");
        }

        if (request.ChargeAmount is { } amount)
        {
            ValidateAmount(RefundRequestFields.ChargeAmount, amount, Reject);
            if (request.Charge is null && !alreadyReported(RefundRequestFields.Charge))
            {
                Reject(RefundRequestFields.ChargeAmount, "needs charge: Ping++ applies charge_amount to one charge");
            }
        }

        if (request.RefundMode is { } mode && !Enum.IsDefined(mode))
        {
            Reject(RefundRequestFields.RefundMode, "must be to_source or to_balance");
        }

        if (request.FundingSource is { } source && !Enum.IsDefined(source))
        {
            Reject(RefundRequestFields.FundingSource, "must be unsettled_funds or recharge_funds");
        }

        if (request.RoyaltyUsers is { } users)
        {
            ValidateRoyaltyUsers(users, Reject);
        }

        ValidateMetadata(request.Metadata, Reject);

        if (reasons.Count == 0 && request.ToQueueJsonUtf8().Length > MaxCanonicalJsonBytes)
        {
            Reject(RefundRequestFields.Message, $"is larger than {MaxCanonicalJsonBytes} bytes as canonical JSON and could not be re-enqueued");
        }
    }

    private static void ValidateDescription(string? description, Action<string, string> reject)
    {
        if (string.IsNullOrWhiteSpace(description))
        {
            reject(RefundRequestFields.Description, "must not be blank");
            return;
        }

        var codePoints = CountCodePoints(description);
        if (UnsafeText.Describe(description) is { } unsafeCharacter)
        {
            reject(RefundRequestFields.Description, unsafeCharacter);
        }
        else if (codePoints > MaxDescriptionCharacters)
        {
            reject(RefundRequestFields.Description, $"is longer than {MaxDescriptionCharacters} characters ({codePoints})");
        }
        else if (description.Length > MaxDescriptionCharacters)
        {
            // The Ping++ client counts UTF-16 units, so characters outside the BMP (emoji) count twice there; accepting
            // this request would only make it fail at send time.
            reject(RefundRequestFields.Description,
                $"is longer than {MaxDescriptionCharacters} UTF-16 units ({description.Length}); characters such as emoji count twice");
        }
    }

    private static void ValidateAmount(string field, long amount, Action<string, string> reject)
    {
        if (amount <= 0)
        {
            reject(field, "must be a positive number of fen");
        }
        else if (amount > MaxAmount)
        {
            reject(field, $"is larger than {MaxAmount.ToString(CultureInfo.InvariantCulture)} fen");
        }
    }

    private static void ValidateRoyaltyUsers(IReadOnlyList<RoyaltyUserRefund> users, Action<string, string> reject)
    {
        if (users.Count == 0)
        {
            // The Ruby SDK says absent = claw back every royalty, the C# demo says the default is []: ambiguous about money.
            reject(RefundRequestFields.RoyaltyUsers, "must not be empty: leave it out to claw back every royalty, or list every user");
            return;
        }

        if (users.Count > MaxRoyaltyUsers)
        {
            reject(RefundRequestFields.RoyaltyUsers, $"lists more than {MaxRoyaltyUsers} users ({users.Count})");
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < users.Count; i++)
        {
            var user = users[i];
            var at = $"{RefundRequestFields.RoyaltyUsers}[{i}]";
            if (user is null)
            {
                reject(at, "must be an object");
                continue;
            }

            if (string.IsNullOrWhiteSpace(user.User))
            {
                reject($"{at}.{RefundRequestFields.RoyaltyUser}", "must not be blank");
            }
            else if (UnsafeText.Describe(user.User) is { } unsafeCharacter)
            {
                reject($"{at}.{RefundRequestFields.RoyaltyUser}", unsafeCharacter);
            }
            else if (user.User.Length > MaxRoyaltyUserLength)
            {
                reject($"{at}.{RefundRequestFields.RoyaltyUser}", $"is longer than {MaxRoyaltyUserLength} characters");
            }
            else if (!seen.Add(user.User))
            {
                reject($"{at}.{RefundRequestFields.RoyaltyUser}", $"'{user.User}' is listed more than once");
            }

            ValidateAmount($"{at}.{RefundRequestFields.RoyaltyAmountRefunded}", user.AmountRefunded, reject);
        }
    }

    private static void ValidateMetadata(IReadOnlyDictionary<string, string>? metadata, Action<string, string> reject)
    {
        if (metadata is null)
        {
            return;
        }

        if (metadata.Count > MaxMetadataKeys)
        {
            reject(RefundRequestFields.Metadata, $"has more than {MaxMetadataKeys} keys ({metadata.Count})");
        }

        foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            // An unsafe key is not echoed into the field name: the reason says where it is instead.
            var keyProblem = UnsafeText.Describe(key);
            var at = keyProblem is null ? $"{RefundRequestFields.Metadata}.{key}" : RefundRequestFields.Metadata;
            if (key == PingppMetadata.RequestId)
            {
                reject(at, "is reserved: the app sets it to the request id");
                continue;
            }

            if (keyProblem is not null)
            {
                reject(at, "a key " + keyProblem);
            }
            else if (string.IsNullOrWhiteSpace(key))
            {
                reject(at, "key must not be blank");
            }
            else if (key.Length > MaxMetadataKeyLength)
            {
                reject(at, $"key is longer than {MaxMetadataKeyLength} characters");
            }

            if (value is null)
            {
                reject(at, "must be a string, number or boolean");
            }
            else if (UnsafeText.Describe(value) is { } unsafeValue)
            {
                reject(at, "value " + unsafeValue);
            }
            else if (value.Length > MaxMetadataValueLength)
            {
                reject(at, $"value is longer than {MaxMetadataValueLength} characters");
            }
        }
    }

    /// <summary>Ping++ charge ids are <c>ch_</c> + 24 alphanumerics; accept 1–61 so the whole id stays within 64.</summary>
    private static bool IsChargeId(string value)
        => value.Length is > 3 and <= 64 && value.StartsWith("ch_", StringComparison.Ordinal) && !value.AsSpan(3).ContainsAnyExcept(AsciiAlphanumerics);

    private static readonly System.Buffers.SearchValues<char> AsciiAlphanumerics =
        System.Buffers.SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    private static int CountCodePoints(string value)
    {
        var count = 0;
        foreach (var _ in value.EnumerateRunes())
        {
            count++;
        }

        return count;
    }
}
