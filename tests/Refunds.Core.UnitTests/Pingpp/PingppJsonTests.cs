using System.Text;
using System.Text.Json;
using Refunds.Core.Pingpp;

namespace Refunds.Core.UnitTests.Pingpp;

public class PingppJsonTests
{
    [Fact]
    public void Create_request_serializes_every_parameter_in_ping_plus_plus_names()
    {
        var request = new CreateOrderRefundRequest
        {
            Description = "退款",
            Charge = "ch_1",
            ChargeAmount = 150,
            RefundMode = OrderRefundMode.ToBalance,
            FundingSource = RefundFundingSource.RechargeFunds,
            RoyaltyUsers = [new RoyaltyUserRefund("u1", 20)],
            Metadata = new Dictionary<string, string> { [PingppMetadata.RequestId] = "rr_1" },
        };

        var json = Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(request, PingppJson.Options));

        Assert.Equal("""{"description":"退款","charge":"ch_1","charge_amount":150,"refund_mode":"to_balance","funding_source":"recharge_funds","royalty_users":[{"user":"u1","amount_refunded":20}],"metadata":{"refund_request_id":"rr_1"}}""", json);
    }

    [Fact]
    public void Unset_parameters_are_left_out()
        => Assert.Equal("""{"description":"d","refund_mode":"to_source"}""",
            JsonSerializer.Serialize(new CreateOrderRefundRequest { Description = "d", RefundMode = OrderRefundMode.ToSource }, PingppJson.Options));

    [Fact]
    public void Refund_metadata_reads_non_string_values_as_their_json_text()
    {
        const string json = """
            {"id":"re_1","object":"refund","amount":null,"created":1700000000,"succeed":null,"status":"pending","time_succeed":null,
             "metadata":{"refund_request_id":"rr_9","n":42,"f":1.5,"b":true,"z":null,"o":{"k":[1]}}}
            """;

        var refund = JsonSerializer.Deserialize<PingppRefund>(json, PingppJson.Options)!;

        Assert.Equal("rr_9", refund.RequestId);
        Assert.Equal("42", refund.Metadata!["n"]);
        Assert.Equal("1.5", refund.Metadata["f"]);
        Assert.Equal("true", refund.Metadata["b"]);
        Assert.False(refund.Metadata.ContainsKey("z"));
        Assert.Equal("""{"k":[1]}""", refund.Metadata["o"]);
        Assert.Equal(0, refund.Amount);
        Assert.False(refund.Succeed);
        Assert.Null(refund.TimeSucceed);
        Assert.Equal(PingppRefundStatus.Pending, refund.Status);
    }

    [Fact]
    public void Empty_metadata_sent_as_an_array_reads_as_empty()
    {
        var refund = JsonSerializer.Deserialize<PingppRefund>("""{"id":"re_1","status":"failed","metadata":[]}""", PingppJson.Options)!;

        Assert.Empty(refund.Metadata!);
        Assert.Null(refund.RequestId);
    }

    [Theory]
    [InlineData("", "description is required")]
    [InlineData("ok", "charge_amount can only be used together with charge")]
    public void Invalid_create_requests_are_refused_before_sending(string description, string reason)
    {
        var request = new CreateOrderRefundRequest { Description = description, ChargeAmount = description.Length == 0 ? null : 10 };

        var ex = Assert.Throws<ArgumentException>(request.Validate);

        Assert.Contains(reason, ex.Message);
    }
}
