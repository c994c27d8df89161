using System.Text;
using Refunds.Core.Webhooks;

namespace Refunds.Core.UnitTests.Webhooks;

/// <summary>A refund event keeps its <c>data.object</c> exactly as received, for a refund whose order cannot be placed.</summary>
public class PingppEventRefundJsonTests
{
    private const string Refund = """{"id":"re_raw000000000000000000001","object":"refund","amount":300,"status":"succeeded","charge":"ch_x1","description":"退款  spaced","metadata":{}}""";

    [Theory]
    [InlineData("""{"id":"evt_raw00000000000000000001","object":"event","type":"refund.succeeded","livemode":false,"created":1,"data":{"object":REFUND}}""")]
    // "object" late in data.object: read by the scan, then deserialized (the fallback path).
    [InlineData("""{"id":"evt_raw00000000000000000001","object":"event","type":"refund.succeeded","livemode":false,"created":1,"data":{"object":{"id":"re_raw000000000000000000001","amount":300,"status":"succeeded","charge":"ch_x1","description":"退款  spaced","metadata":{},"object":"refund"}}}""")]
    public void The_refund_object_is_kept_byte_for_byte(string template)
    {
        var body = Encoding.UTF8.GetBytes(template.Replace("REFUND", Refund, StringComparison.Ordinal));

        Assert.True(PingppEventParser.TryParse(body, out var parsed, out var reason), reason);

        var dataObject = template.Contains("REFUND", StringComparison.Ordinal) ? Refund : template[(template.IndexOf("{\"id\":\"re_", StringComparison.Ordinal))..^2];
        Assert.Equal(dataObject, parsed.RefundJson);
        Assert.Equal("re_raw000000000000000000001", parsed.RefundId);
    }

    [Fact]
    public void Events_of_other_objects_keep_no_refund_json()
    {
        var body = Encoding.UTF8.GetBytes("""{"id":"evt_raw00000000000000000002","object":"event","type":"charge.succeeded","livemode":false,"created":1,"data":{"object":{"id":"ch_1","object":"charge","amount":1}}}""");

        Assert.True(PingppEventParser.TryParse(body, out var parsed, out var reason), reason);

        Assert.Null(parsed.RefundJson);
    }
}
