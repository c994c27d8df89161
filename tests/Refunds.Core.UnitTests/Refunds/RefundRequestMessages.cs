using System.Text;

namespace Refunds.Core.UnitTests.Refunds;

/// <summary>Builds queue messages from a valid one by replacing, adding or removing fields (raw JSON values).</summary>
internal static class RefundRequestMessages
{
    public const string OrderId = "2011708070000007521";

    private static readonly (string Name, string Raw)[] ValidFields =
    [
        ("request_id", "\"rr-1\""),
        ("order_id", $"\"{OrderId}\""),
        ("description", "\"退款: damaged goods\""),
        ("charge", "\"ch_eDaTe9OG0qPOz14S4KWH80eP\""),
        ("charge_amount", "10"),
        ("refund_mode", "\"to_source\""),
        ("funding_source", "\"unsettled_funds\""),
        ("royalty_users", """[{"user":"test_user_001","amount_refunded":10},{"user":"test_user_002","amount_refunded":5}]"""),
        ("metadata", """{"shop":"north","ticket":"T-9"}"""),
    ];

    public static string Valid => With();

    /// <summary>The valid message with <paramref name="changes"/> applied: a null raw value removes the field.</summary>
    public static string With(params (string Name, string? Raw)[] changes)
    {
        var fields = ValidFields.Select(f => (f.Name, Raw: (string?)f.Raw)).ToList();
        foreach (var (name, raw) in changes)
        {
            var index = fields.FindIndex(f => f.Name == name);
            if (index >= 0)
            {
                fields[index] = (name, raw);
            }
            else
            {
                fields.Add((name, raw));
            }
        }

        return "{" + string.Join(",", fields.Where(f => f.Raw is not null).Select(f => $"\"{f.Name}\":{f.Raw}")) + "}";
    }

    public static string Base64(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json));

    /// <summary>A JSON string with non-ASCII text left raw (as producers usually send it), not \u-escaped.</summary>
    public static string Quoted(string value) => System.Text.Json.JsonSerializer.Serialize(value, global::Refunds.Core.Pingpp.PingppJson.Options);
}
