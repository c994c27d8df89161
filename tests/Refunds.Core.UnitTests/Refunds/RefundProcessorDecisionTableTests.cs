using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Refunds;
using Refunds.Core.Signing;

namespace Refunds.Core.UnitTests.Refunds;

/// <summary>
/// The refund processor's decisions, as a table: what the claim came back as × what Ping++ answered × where the
/// grace period stands → the outcome, whether a create was sent, and what was written to the ledger. The ledger and
/// the Ping++ client are Moq doubles (strict: any call the row does not expect fails it); the Azurite tests in
/// tests/Refunds.IntegrationTests/RefundRequests run the same protocol on real storage and the simulator.
/// </summary>
public sealed class RefundProcessorDecisionTableTests
{
    private const string MessageId = "msg-1";
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    private readonly RefundRequest _request = RefundRequestParser.Parse(Encoding.UTF8.GetBytes(RefundRequestMessages.Valid), MessageId).Request!;
    private readonly Mock<IRefundLedger> _ledger = new(MockBehavior.Strict);
    private readonly Mock<PingppClient> _pingpp;
    private readonly FakeTimeProvider _time = new(Now);

    public RefundProcessorDecisionTableTests()
    {
        var signer = new Mock<IRequestSigner>(MockBehavior.Strict);
        _pingpp = new Mock<PingppClient>(MockBehavior.Strict, new HttpClient(), signer.Object,
            Options.Create(new PingppClientOptions { ApiKey = "sk_test_decisionTable", RequestTimeout = TimeSpan.FromSeconds(30) }),
            TimeProvider.System, NullLogger<PingppClient>.Instance);
    }

    /// <summary>How the claim came back (the first delivery is born claimed; a redelivery claims with TryBeginSend).</summary>
    public enum Claim
    {
        BornClaimed,
        RedeliveryClaimed,
        HeldByOther,
        NotClaimable,
        OrderBusy,
    }

    /// <summary>What Ping++ answered the create.</summary>
    public enum Create
    {
        Refunds,
        Rejected,
        OutcomeUnknown,
        RateLimited,
        NotSent,
        EmptyList,
    }

    public static TheoryData<Claim, Create, RefundProcessingOutcome?, bool, string> ClaimedCreates => new()
    {
        // claim, Ping++ create answer, outcome (null = retry later), release definitely-not-sent, ledger write
        { Claim.BornClaimed, Create.Refunds, RefundProcessingOutcome.Created, false, "submitted" },
        { Claim.BornClaimed, Create.Rejected, RefundProcessingOutcome.FailedAtPingpp, false, "failed" },
        { Claim.BornClaimed, Create.OutcomeUnknown, null, false, "released" },
        { Claim.BornClaimed, Create.RateLimited, null, true, "released" },
        { Claim.BornClaimed, Create.NotSent, null, true, "released" },
        { Claim.BornClaimed, Create.EmptyList, null, false, "released" },
        { Claim.RedeliveryClaimed, Create.Refunds, RefundProcessingOutcome.Created, false, "submitted" },
        { Claim.RedeliveryClaimed, Create.Rejected, RefundProcessingOutcome.FailedAtPingpp, false, "failed" },
        { Claim.RedeliveryClaimed, Create.OutcomeUnknown, null, false, "released" },
        { Claim.RedeliveryClaimed, Create.RateLimited, null, true, "released" },
        { Claim.RedeliveryClaimed, Create.NotSent, null, true, "released" },
        { Claim.RedeliveryClaimed, Create.EmptyList, null, false, "released" },
    };

    [Theory]
    [MemberData(nameof(ClaimedCreates))]
    public async Task A_claimed_request_sends_one_create_and_records_what_ping_answered(
        Claim claim, Create answer, RefundProcessingOutcome? expected, bool definitelyNotSent, string write)
    {
        var claimed = Record(RefundRequestState.Submitting, attempt: 1);
        SetUpClaim(claim, claimed);
        SetUpCreate(answer);
        _ledger.Setup(l => l.RecordSubmittedAsync(claimed, It.IsAny<IReadOnlyList<PingppRefund>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Updated(RefundRequestState.Submitted));
        _ledger.Setup(l => l.RecordFailedAsync(_request.RequestId, 1, "channel_refund_exceeded", It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Updated(RefundRequestState.Failed));
        _ledger.Setup(l => l.ReleaseClaimAsync(_request.RequestId, 1, It.IsAny<bool>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Updated(RefundRequestState.Received));

        var outcome = await RunAsync();

        Assert.Equal(expected, outcome);
        _pingpp.Verify(p => p.CreateOrderRefundAsync(_request.OrderId, It.IsAny<CreateOrderRefundRequest>(), It.IsAny<DateTimeOffset?>(), It.IsAny<CancellationToken>()), Times.Once);
        _ledger.Verify(l => l.RecordSubmittedAsync(claimed, It.IsAny<IReadOnlyList<PingppRefund>>(), It.IsAny<CancellationToken>()), Times.Exactly(write == "submitted" ? 1 : 0));
        _ledger.Verify(l => l.RecordFailedAsync(_request.RequestId, 1, It.IsAny<string?>(), It.IsAny<string>(), It.IsAny<CancellationToken>()), Times.Exactly(write == "failed" ? 1 : 0));
        _ledger.Verify(l => l.ReleaseClaimAsync(_request.RequestId, 1, definitelyNotSent, It.IsAny<string>(), It.IsAny<CancellationToken>()), Times.Exactly(write == "released" ? 1 : 0));
    }

    [Theory]
    [InlineData(Claim.HeldByOther, null)]
    [InlineData(Claim.NotClaimable, RefundProcessingOutcome.AlreadyHandled)]
    [InlineData(Claim.OrderBusy, null)]
    public async Task A_claim_not_won_sends_nothing_and_writes_nothing(Claim claim, RefundProcessingOutcome? expected)
    {
        SetUpClaim(claim, Record(RefundRequestState.Submitting, attempt: 1));

        var outcome = await RunAsync();

        Assert.Equal(expected, outcome);
        _pingpp.VerifyNoOtherCalls();
        _ledger.Verify(l => l.TryBeginSendAsync(It.IsAny<RefundRequestRecord>(), Now, Lease, It.IsAny<CancellationToken>()), Times.Once);
        _ledger.Verify(l => l.CreateClaimedRequestAsync(It.IsAny<RefundRequestRecord>(), Now, Lease, It.IsAny<CancellationToken>()), Times.Once);
        _ledger.VerifyNoOtherCalls();
    }

    [Theory]
    [InlineData(RefundRequestState.Submitted)]
    [InlineData(RefundRequestState.Succeeded)]
    [InlineData(RefundRequestState.Failed)]
    [InlineData(RefundRequestState.DeadLettered)]
    public async Task A_redelivery_of_a_request_past_submitting_is_already_handled_without_a_claim_or_a_call(RefundRequestState state)
    {
        _ledger.Setup(l => l.CreateClaimedRequestAsync(It.IsAny<RefundRequestRecord>(), Now, Lease, It.IsAny<CancellationToken>()))
            .ReturnsAsync(new CreateRequestResult(false, Record(state, attempt: 1)));

        Assert.Equal(RefundProcessingOutcome.AlreadyHandled, await RunAsync());
        _pingpp.VerifyNoOtherCalls();
    }

    [Fact]
    public async Task A_request_id_reused_with_other_parameters_is_a_conflict_noted_on_the_request_and_never_sent()
    {
        _ledger.Setup(l => l.CreateClaimedRequestAsync(It.IsAny<RefundRequestRecord>(), Now, Lease, It.IsAny<CancellationToken>()))
            .ReturnsAsync(new CreateRequestResult(false, Record(RefundRequestState.Received, attempt: 0) with { Fingerprint = "another" }));
        _ledger.Setup(l => l.RecordIgnoredMessageAsync(_request.RequestId, It.Is<string>(n => n.StartsWith("request_id reused", StringComparison.Ordinal)), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Updated(RefundRequestState.Received));

        Assert.Equal(RefundProcessingOutcome.Conflict, await RunAsync());
        _pingpp.VerifyNoOtherCalls();
        _ledger.Verify(l => l.RecordIgnoredMessageAsync(_request.RequestId, It.IsAny<string>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    /// <summary>An earlier create's outcome is unknown: the listing decides, and the grace period guards a create.</summary>
    public enum Listing
    {
        FindsOurs,
        FindsNothing,
        Fails,
    }

    [Theory]
    // listing, seconds since that create started (grace 120 s), outcome (null = retry later), create sent, ledger write
    [InlineData(Listing.FindsOurs, 10, RefundProcessingOutcome.Adopted, false, "adopted")]
    [InlineData(Listing.FindsOurs, 600, RefundProcessingOutcome.Adopted, false, "adopted")]
    [InlineData(Listing.FindsNothing, 10, null, false, "released")]
    [InlineData(Listing.FindsNothing, 119, null, false, "released")]
    [InlineData(Listing.FindsNothing, 120, RefundProcessingOutcome.Created, true, "submitted")]
    [InlineData(Listing.FindsNothing, 600, RefundProcessingOutcome.Created, true, "submitted")]
    [InlineData(Listing.Fails, 600, null, false, "released")]
    public async Task A_create_in_doubt_is_looked_up_first_and_sent_again_only_after_the_grace_period(
        Listing listing, int secondsSinceSend, RefundProcessingOutcome? expected, bool createSent, string write)
    {
        var inDoubt = Record(RefundRequestState.Submitting, attempt: 2) with { Uncertain = true, LastSendStartedAt = Now.AddSeconds(-secondsSinceSend) };
        _ledger.Setup(l => l.CreateClaimedRequestAsync(It.IsAny<RefundRequestRecord>(), Now, Lease, It.IsAny<CancellationToken>()))
            .ReturnsAsync(new CreateRequestResult(false, Record(RefundRequestState.Received, attempt: 1) with { Uncertain = true }));
        _ledger.Setup(l => l.TryBeginSendAsync(It.IsAny<RefundRequestRecord>(), Now, Lease, It.IsAny<CancellationToken>()))
            .ReturnsAsync(new SubmitClaim(SubmitClaimOutcome.Claimed, inDoubt));
        var list = _pingpp.Setup(p => p.ListAllOrderRefundsAsync(_request.OrderId, It.IsAny<CancellationToken>()));
        if (listing == Listing.Fails)
        {
            list.ThrowsAsync(new PingppException(PingppErrorKind.OutcomeUnknown, "503", statusCode: 503));
        }
        else
        {
            list.ReturnsAsync(listing == Listing.FindsOurs ? [Refund("re_ours", _request.RequestId)] : [Refund("re_other", "rr-someone-else")]);
        }

        SetUpCreate(Create.Refunds);
        _ledger.Setup(l => l.RecordSubmittedAsync(_request.RequestId, It.IsAny<IReadOnlyList<PingppRefund>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Updated(RefundRequestState.Submitted));
        _ledger.Setup(l => l.RecordSendStartingAsync(_request.RequestId, 2, Now, It.IsAny<CancellationToken>()))
            .ReturnsAsync(Updated(RefundRequestState.Submitting));
        _ledger.Setup(l => l.RecordSubmittedAsync(inDoubt, It.IsAny<IReadOnlyList<PingppRefund>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Updated(RefundRequestState.Submitted));
        _ledger.Setup(l => l.ReleaseClaimAsync(_request.RequestId, 2, false, It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Updated(RefundRequestState.Received));

        var outcome = await RunAsync();

        Assert.Equal(expected, outcome);
        _pingpp.Verify(p => p.ListAllOrderRefundsAsync(_request.OrderId, It.IsAny<CancellationToken>()), Times.Once);
        _pingpp.Verify(p => p.CreateOrderRefundAsync(_request.OrderId, It.IsAny<CreateOrderRefundRequest>(), It.IsAny<DateTimeOffset?>(), It.IsAny<CancellationToken>()),
            Times.Exactly(createSent ? 1 : 0));
        _ledger.Verify(l => l.RecordSubmittedAsync(_request.RequestId, It.Is<IReadOnlyList<PingppRefund>>(r => r.Single().Id == "re_ours"), It.IsAny<CancellationToken>()),
            Times.Exactly(write == "adopted" ? 1 : 0));
        _ledger.Verify(l => l.RecordSubmittedAsync(inDoubt, It.IsAny<IReadOnlyList<PingppRefund>>(), It.IsAny<CancellationToken>()), Times.Exactly(write == "submitted" ? 1 : 0));
        _ledger.Verify(l => l.ReleaseClaimAsync(_request.RequestId, 2, false, It.IsAny<string>(), It.IsAny<CancellationToken>()), Times.Exactly(write == "released" ? 1 : 0));
    }

    /// <summary>The processor's answer: an outcome, or null when it asked the queue to deliver again.</summary>
    private async Task<RefundProcessingOutcome?> RunAsync()
    {
        var processor = new RefundProcessor(_ledger.Object, _pingpp.Object,
            Options.Create(new RefundProcessingOptions { CreateGracePeriod = Grace, LeaseDuration = Lease }),
            _time, new RefundMetrics(), NullLogger<RefundProcessor>.Instance);
        try
        {
            return await processor.ProcessAsync(Encoding.UTF8.GetBytes(RefundRequestMessages.Valid), MessageId, dequeueCount: 1, CancellationToken.None);
        }
        catch (RefundRetryLaterException e)
        {
            Assert.Equal(_request.RequestId, e.RequestId);
            return null;
        }
    }

    private void SetUpClaim(Claim claim, RefundRequestRecord claimed)
    {
        var bornClaimed = claim == Claim.BornClaimed;
        _ledger.Setup(l => l.CreateClaimedRequestAsync(It.IsAny<RefundRequestRecord>(), Now, Lease, It.IsAny<CancellationToken>()))
            .ReturnsAsync(new CreateRequestResult(bornClaimed, bornClaimed ? claimed : Record(RefundRequestState.Received, attempt: 0)));
        var outcome = claim switch
        {
            Claim.HeldByOther => SubmitClaimOutcome.HeldByOther,
            Claim.NotClaimable => SubmitClaimOutcome.NotClaimable,
            Claim.OrderBusy => SubmitClaimOutcome.OrderBusy,
            _ => SubmitClaimOutcome.Claimed,
        };
        _ledger.Setup(l => l.TryBeginSendAsync(It.IsAny<RefundRequestRecord>(), Now, Lease, It.IsAny<CancellationToken>()))
            .ReturnsAsync(new SubmitClaim(outcome, claim == Claim.NotClaimable ? Record(RefundRequestState.Succeeded, 1) : claimed) { SendMarked = outcome == SubmitClaimOutcome.Claimed });
    }

    private void SetUpCreate(Create answer)
    {
        var create = _pingpp.Setup(p => p.CreateOrderRefundAsync(_request.OrderId, It.IsAny<CreateOrderRefundRequest>(), It.IsAny<DateTimeOffset?>(), It.IsAny<CancellationToken>()));
        switch (answer)
        {
            case Create.Refunds:
                create.ReturnsAsync(new PingppList<PingppRefund> { Data = [Refund("re_new", _request.RequestId)] });
                break;
            case Create.EmptyList:
                create.ReturnsAsync(new PingppList<PingppRefund> { Data = [] });
                break;
            case Create.Rejected:
                create.ThrowsAsync(new PingppException(PingppErrorKind.Rejected, "refund exceeds the charge", statusCode: 400, errorType: "invalid_request_error", errorCode: "channel_refund_exceeded"));
                break;
            case Create.OutcomeUnknown:
                create.ThrowsAsync(new PingppException(PingppErrorKind.OutcomeUnknown, "timed out", statusCode: null));
                break;
            case Create.RateLimited:
                create.ThrowsAsync(new PingppException(PingppErrorKind.RateLimited, "too many requests", statusCode: 429));
                break;
            case Create.NotSent:
                create.ThrowsAsync(new PingppException(PingppErrorKind.NotSent, "connection refused"));
                break;
        }
    }

    private RefundRequestRecord Record(RefundRequestState state, int attempt) => _request.ToLedgerRecord() with
    {
        State = state,
        Attempt = attempt,
        LeaseUntil = state == RefundRequestState.Submitting ? Now + Lease : null,
    };

    private RequestUpdateResult Updated(RefundRequestState state) => new(RequestUpdateOutcome.Updated, Record(state, attempt: 1));

    private PingppRefund Refund(string id, string requestId) => new()
    {
        Id = id,
        Amount = 10,
        Status = PingppRefundStatus.Pending,
        Metadata = new Dictionary<string, string> { [PingppMetadata.RequestId] = requestId },
        Charge = _request.Charge,
    };
}
