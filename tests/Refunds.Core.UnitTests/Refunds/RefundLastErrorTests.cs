using Refunds.Core.Pingpp;
using Refunds.Core.Refunds;

namespace Refunds.Core.UnitTests.Refunds;

public class RefundLastErrorTests
{
    private const string Internal = "Not sent: signing with keyvault:https://refunds-kv.vault.azure.net/keys/pingpp-signing/0123 failed: host api.internal.example at System.Net.Http";

    [Theory]
    [InlineData(PingppErrorKind.NotSent, null, "create: not_sent")]
    [InlineData(PingppErrorKind.NotSent, 401, "create: unauthorized (HTTP 401)")]
    [InlineData(PingppErrorKind.RateLimited, 429, "create: rate_limited (HTTP 429)")]
    [InlineData(PingppErrorKind.OutcomeUnknown, 503, "create: outcome_unknown (HTTP 503)")]
    [InlineData(PingppErrorKind.OutcomeUnknown, null, "create: outcome_unknown:")]
    public void Last_error_is_a_stable_code_and_never_the_exception_text(PingppErrorKind kind, int? status, string expectedStart)
    {
        var error = RefundLastError.For("create", new PingppException(kind, Internal, status, innerException: new InvalidOperationException(Internal)));

        Assert.StartsWith(expectedStart, error, StringComparison.Ordinal);
        Assert.DoesNotContain("vault.azure.net", error, StringComparison.Ordinal);
        Assert.DoesNotContain("internal.example", error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rejection_names_the_ping_plus_plus_code_only()
        => Assert.Equal("lookup: rejected (HTTP 400): resource_missing",
            RefundLastError.For("lookup", new PingppException(PingppErrorKind.Rejected, Internal, 400, "invalid_request_error", "resource_missing")));

    [Fact]
    public void An_unexpected_failure_says_only_that()
        => Assert.StartsWith("create: internal_error:", RefundLastError.Unexpected("create"), StringComparison.Ordinal);
}
