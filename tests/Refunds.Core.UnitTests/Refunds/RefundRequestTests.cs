using System.Text.Json;
using Refunds.Core.Pingpp;
using Refunds.Core.Refunds;
using static Refunds.Core.UnitTests.Refunds.RefundRequestMessages;

namespace Refunds.Core.UnitTests.Refunds;

public class RefundRequestTests
{
    private static RefundRequest Parsed(string json, string? fallback = "m")
    {
        var result = RefundRequestParser.Parse(json, fallback);
        Assert.True(result.IsValid, string.Join("; ", result.Reasons));
        return result.Request;
    }

    private static readonly RefundRequest Full = Parsed(Valid);

    [Fact]
    public void Create_request_carries_every_parameter_and_the_request_id_in_metadata()
    {
        var create = Full.ToCreateOrderRefundRequest();

        var json = JsonSerializer.Serialize(create, PingppJson.Options);
        Assert.Equal(
            """{"description":"退款: damaged goods","charge":"ch_eDaTe9OG0qPOz14S4KWH80eP","charge_amount":10,"refund_mode":"to_source","funding_source":"unsettled_funds","royalty_users":[{"user":"test_user_001","amount_refunded":10},{"user":"test_user_002","amount_refunded":5}],"metadata":{"shop":"north","ticket":"T-9","refund_request_id":"rr-1"}}""",
            json);
        Assert.Equal("rr-1", create.Metadata![PingppMetadata.RequestId]);
        Assert.False(Full.Metadata.ContainsKey(PingppMetadata.RequestId)); // the request itself is not changed
    }

    [Fact]
    public void Create_request_without_caller_metadata_still_carries_the_request_id()
    {
        var request = Parsed($$"""{"request_id":"queue-msg-3","order_id":"{{OrderId}}","description":"d"}""");

        var create = request.ToCreateOrderRefundRequest();

        Assert.Equal(new Dictionary<string, string> { [PingppMetadata.RequestId] = "queue-msg-3" }, create.Metadata);
        Assert.Equal("""{"description":"d","metadata":{"refund_request_id":"queue-msg-3"}}""", JsonSerializer.Serialize(create, PingppJson.Options));
    }

    [Fact]
    public void Queue_json_parses_back_to_an_equal_request()
    {
        var json = Full.ToQueueJson();

        var again = Parsed(json, fallback: null);

        Assert.Equal(Full, again);
        Assert.Equal(Full.Fingerprint, again.Fingerprint);
        Assert.Equal(json, again.ToQueueJson());
        Assert.Equal(Full.ToQueueJsonUtf8(), System.Text.Encoding.UTF8.GetBytes(json));
    }

    [Fact]
    public void Queue_json_is_plain_canonical_json_with_raw_unicode()
    {
        var request = Parsed(With(("metadata", """{"z":"1","a":"2"}"""), ("refund_mode", "\"to_balance\""), ("funding_source", "\"recharge_funds\"")));

        Assert.Equal(
            """{"request_id":"rr-1","order_id":"2011708070000007521","description":"退款: damaged goods","charge":"ch_eDaTe9OG0qPOz14S4KWH80eP","charge_amount":10,"refund_mode":"to_balance","funding_source":"recharge_funds","royalty_users":[{"user":"test_user_001","amount_refunded":10},{"user":"test_user_002","amount_refunded":5}],"metadata":{"a":"2","z":"1"}}""",
            request.ToQueueJson());
    }

    [Fact]
    public void Minimal_request_round_trips_without_optional_fields()
    {
        var request = Parsed($$"""{"request_id":"msg-5","order_id":"{{OrderId}}","description":"d"}""");

        Assert.Equal($$"""{"request_id":"msg-5","order_id":"{{OrderId}}","description":"d"}""", request.ToQueueJson());
        Assert.Equal(request, Parsed(request.ToQueueJson(), null));
    }

    [Fact]
    public void Fingerprint_ignores_key_order_and_whitespace()
    {
        const string reordered = """
            {
              "metadata" : { "ticket" : "T-9", "shop" : "north" },
              "royalty_users" : [ { "amount_refunded" : 5, "user" : "test_user_002" }, { "amount_refunded" : 10, "user" : "test_user_001" } ],
              "funding_source" : "unsettled_funds", "refund_mode" : "to_source",
              "charge_amount" : 10, "charge" : "ch_eDaTe9OG0qPOz14S4KWH80eP",
              "description" : "退款: damaged goods", "order_id" : "2011708070000007521", "request_id" : "rr-1"
            }
            """;

        var request = Parsed(reordered);

        Assert.Equal(Full.Fingerprint, request.Fingerprint);
        Assert.Equal(Full, request);
    }

    [Fact]
    public void Fingerprint_is_sha256_hex_and_does_not_depend_on_the_request_id()
    {
        var other = Full with { RequestId = "rr-2" };

        Assert.Matches("^[0-9a-f]{64}$", Full.Fingerprint);
        Assert.Equal(Full.Fingerprint, other.Fingerprint);
        Assert.NotEqual(Full, other);
    }

    [Fact]
    public void Fingerprint_is_the_documented_canonical_form()
    {
        // Stored in the ledger: a change to the canonical form would make every stored request look "reused with
        // different parameters". This rebuilds the form by hand from its description, so a change cannot slip by.
        var request = Parsed($$$"""{"request_id":"m","order_id":"{{{OrderId}}}","description":"退款","charge":"ch_1","charge_amount":10,"metadata":{"k":"v","a":"b"}}""");

        var form = new List<byte>();
        void Text(string? value)
        {
            var bytes = value is null ? null : System.Text.Encoding.UTF8.GetBytes(value);
            Count(bytes?.Length ?? -1);
            form.AddRange(bytes ?? []);
        }

        void Count(int n) => form.AddRange([(byte)(n >> 24), (byte)(n >> 16), (byte)(n >> 8), (byte)n]);

        Text("refund-request/v1");
        Text(OrderId);
        Text("退款");
        Text("ch_1");
        Text("10");
        Text(null); // refund_mode
        Text(null); // funding_source
        Count(-1); // royalty_users absent
        Count(2);
        Text("a");
        Text("b");
        Text("k");
        Text("v");

        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(form.ToArray())), request.Fingerprint);
    }

    public static TheoryData<string, Func<RefundRequest, RefundRequest>> Changes => new()
    {
        { "order id", r => r with { OrderId = "2011708070000007522" } },
        { "description", r => r with { Description = r.Description + "." } },
        { "charge", r => r with { Charge = "ch_other" } },
        { "no charge", r => r with { Charge = null, ChargeAmount = null } },
        { "amount", r => r with { ChargeAmount = 11 } },
        { "no amount", r => r with { ChargeAmount = null } },
        { "refund mode", r => r with { RefundMode = OrderRefundMode.ToBalance } },
        { "no refund mode", r => r with { RefundMode = null } },
        { "funding source", r => r with { FundingSource = RefundFundingSource.RechargeFunds } },
        { "no funding source", r => r with { FundingSource = null } },
        { "royalty amount", r => r with { RoyaltyUsers = [new("test_user_001", 11), new("test_user_002", 5)] } },
        { "royalty user", r => r with { RoyaltyUsers = [new("test_user_009", 10), new("test_user_002", 5)] } },
        { "fewer royalty users", r => r with { RoyaltyUsers = [new("test_user_001", 10)] } },
        { "no royalty users", r => r with { RoyaltyUsers = null } },
        { "metadata value", r => r with { Metadata = new Dictionary<string, string> { ["shop"] = "south", ["ticket"] = "T-9" } } },
        { "metadata key", r => r with { Metadata = new Dictionary<string, string> { ["shop"] = "north", ["ticket2"] = "T-9" } } },
        { "no metadata", r => r with { Metadata = new Dictionary<string, string>() } },
        // Length prefixes keep field boundaries: moving text from one value to the next must change the hash.
        { "metadata boundary", r => r with { Metadata = new Dictionary<string, string> { ["shopn"] = "orth", ["ticket"] = "T-9" } } },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void Fingerprint_changes_when_any_parameter_changes(string change, Func<RefundRequest, RefundRequest> apply)
    {
        var changed = apply(Full);

        Assert.NotEqual(Full.Fingerprint, changed.Fingerprint);
        Assert.NotEqual(Full, changed);
        Assert.False(string.IsNullOrEmpty(change));
    }

    [Fact]
    public void Requests_with_equal_content_in_different_collection_instances_are_equal()
    {
        var copy = Full with
        {
            RoyaltyUsers = Full.RoyaltyUsers!.ToList(),
            Metadata = new Dictionary<string, string>(Full.Metadata),
        };

        Assert.Equal(Full, copy);
        Assert.Equal(Full.GetHashCode(), copy.GetHashCode());
    }
}
