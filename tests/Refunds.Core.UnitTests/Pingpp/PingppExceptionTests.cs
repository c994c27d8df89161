using System.Net;
using System.Text;
using Refunds.Core.Pingpp;

namespace Refunds.Core.UnitTests.Pingpp;

public class PingppExceptionTests
{
    private static PingppException From(int status, string body, TimeSpan? retryAfter = null)
        => PingppException.FromResponse((HttpStatusCode)status, Encoding.UTF8.GetBytes(body), retryAfter);

    private const string InvalidRequest = """{"error":{"type":"invalid_request_error","message":"参数错误","code":"invalid_param","param":"charge_amount"}}""";

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(422)]
    public void Definite_4xx_answers_are_rejections(int status)
        => Assert.Equal(PingppErrorKind.Rejected, From(status, InvalidRequest).Kind);

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(408)]
    public void Server_errors_leave_the_outcome_unknown(int status)
        => Assert.Equal(PingppErrorKind.OutcomeUnknown, From(status, "<html>bad gateway</html>").Kind);

    [Fact]
    public void A_429_is_rate_limited_and_keeps_retry_after()
    {
        var ex = From(429, "", TimeSpan.FromSeconds(7));

        Assert.Equal(PingppErrorKind.RateLimited, ex.Kind);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
    }

    [Theory]
    [InlineData("""{"error":{"type":"invalid_request_error","message":"Too many requests, rate limit exceeded"}}""")]
    [InlineData("""{"error":{"type":"invalid_request_error","message":"请求过于频繁","code":"rate_limit"}}""")]
    public void A_403_that_says_rate_limit_is_rate_limited(string body)
        => Assert.Equal(PingppErrorKind.RateLimited, From(403, body).Kind);

    [Fact]
    public void A_403_whose_body_is_a_request_error_about_something_else_is_a_rejection()
        => Assert.Equal(PingppErrorKind.Rejected, From(403, """{"error":{"type":"invalid_request_error","message":"No permission for this app"}}""").Kind);

    [Theory]
    [InlineData("")]
    [InlineData("<html>403 Forbidden</html>")]
    [InlineData("""{"error":{"type":"api_error","message":"busy"}}""")]
    public void A_403_without_a_request_error_body_is_rate_limited_as_the_sdks_read_it(string body)
        => Assert.Equal(PingppErrorKind.RateLimited, From(403, body).Kind);

    [Theory]
    [InlineData("invalid_api_key")]
    [InlineData("invalid_signature")]
    [InlineData(null)]
    public void A_401_is_not_sent_so_it_is_retried_never_a_failed_refund(string? code)
    {
        var ex = From(401, code is null ? "" : $$$"""{"error":{"type":"invalid_request_error","message":"auth","code":"{{{code}}}"}}""");

        Assert.Equal((PingppErrorKind.NotSent, 401), (ex.Kind, ex.StatusCode));
    }

    [Theory]
    [InlineData("channel_refund_rejected", PingppErrorKind.Rejected)]
    [InlineData("refund_amount_exceeded", PingppErrorKind.Rejected)]
    [InlineData("balance_insufficient", PingppErrorKind.Rejected)]
    [InlineData("channel_timeout", PingppErrorKind.OutcomeUnknown)]
    [InlineData("channel_processing", PingppErrorKind.OutcomeUnknown)]
    [InlineData("channel_system_error", PingppErrorKind.OutcomeUnknown)]
    [InlineData(null, PingppErrorKind.OutcomeUnknown)]
    public void A_402_channel_error_fails_only_on_a_definite_refusal_and_is_otherwise_unknown(string? code, PingppErrorKind kind)
    {
        var body = code is null
            ? """{"error":{"type":"channel_error","message":"渠道错误"}}"""
            : $$$"""{"error":{"type":"channel_error","message":"渠道错误","code":"{{{code}}}"}}""";

        Assert.Equal(kind, From(402, body).Kind);
    }

    [Fact]
    public void The_error_object_fields_are_carried()
    {
        var ex = From(402, """{"error":{"type":"channel_error","message":"渠道拒绝","code":"channel_refund_rejected","param":"charge","detail":"x"}}""");

        Assert.Equal(402, ex.StatusCode);
        Assert.Equal("channel_error", ex.ErrorType);
        Assert.Equal("channel_refund_rejected", ex.ErrorCode);
        Assert.Equal("charge", ex.Param);
        Assert.Contains("渠道拒绝", ex.Message);
    }

    [Theory]
    [InlineData("<html>502 Bad Gateway</html>")]
    [InlineData("")]
    [InlineData("""{"message":"no error key"}""")]
    public void A_body_that_is_no_error_object_gives_a_generic_message_with_the_status(string body)
    {
        var ex = From(400, body);

        Assert.Contains("400", ex.Message);
        Assert.Null(ex.ErrorType);
        Assert.Equal(PingppErrorKind.Rejected, ex.Kind);
    }
}
