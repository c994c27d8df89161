using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Webhooks;

namespace Refunds.IntegrationTests.RefundRequests;

/// <summary>
/// A refund whose <c>metadata.refund_request_id</c> names one of our requests is linked to it only when it can be
/// that request's refund (issue 24, item 1): never across orders, never to a request that was never sent, never
/// across charges. Real Azurite, and a real signed webhook through the receiver.
/// </summary>
public sealed class RefundLinkTests
{
    private const string RequestOrder = "2011609290000002401";
    private const string OtherOrder = "2011609290000002402";
    private const string Charge = "ch_L8qn10mLmr1GS8e5OODmHaL4";
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 8, 0, 0, TimeSpan.Zero));
    private readonly RefundLedger _ledger;

    public RefundLinkTests()
        => _ledger = new RefundLedger(Azurite.Tables(), _time, NullLogger<RefundLedger>.Instance, Azurite.UniqueTable("led"), Azurite.UniqueTable("idx"));

    private static RefundRequestRecord Request(string requestId, string? charge = Charge)
        => new() { RequestId = requestId, OrderId = RequestOrder, Description = "退款", Charge = charge };

    private static PingppRefund Refund(string refundId, string requestId, string charge = Charge) => new()
    {
        Id = refundId,
        Amount = 300,
        Status = PingppRefundStatus.Succeeded,
        Succeed = true,
        TimeSucceed = 1700000090,
        Charge = charge,
        Metadata = new Dictionary<string, string> { [PingppMetadata.RequestId] = requestId },
    };

    /// <summary>A request in doubt: claimed and written ahead, the create's answer lost.</summary>
    private async Task SentInDoubtAsync(string requestId, string? charge = Charge)
    {
        await _ledger.CreateRequestAsync(Request(requestId, charge), Ct);
        var claim = await _ledger.TryBeginSubmitAsync(requestId, _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        await _ledger.RecordSendStartingAsync(requestId, claim.Request!.Attempt, _time.GetUtcNow(), Ct);
    }

    [Fact]
    public async Task A_refund_listed_under_another_order_is_not_applied_to_the_request_it_names()
    {
        await SentInDoubtAsync("r_link_cross");

        var listed = await _ledger.ApplyRefundAsync(Refund("re_link_cross_000000000001", "r_link_cross"), OtherOrder, Ct);

        Assert.Equal((OtherOrder, null, true), (listed.Refund.OrderId, listed.Refund.RequestId, listed.Refund.External));
        var request = (await _ledger.GetRequestAsync("r_link_cross", Ct))!;
        Assert.Equal(RefundRequestState.Submitting, request.State);
        Assert.Empty(request.RefundIds);
        Assert.Empty((await _ledger.ListOrderAsync(RequestOrder, Ct)).Refunds);
        var other = await _ledger.ListOrderAsync(OtherOrder, Ct);
        Assert.Contains(other.Order!.ReconciliationReasons, r => r.Contains("names request r_link_cross of order " + RequestOrder, StringComparison.Ordinal)
                                                               && r.Contains("lists it under order " + OtherOrder, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_refund_naming_a_request_that_was_never_sent_stays_external_and_the_request_stays_received()
    {
        await _ledger.CreateRequestAsync(Request("r_link_unsent"), Ct);

        var reported = await _ledger.ApplyRefundAsync(Refund("re_link_unsent_00000000001", "r_link_unsent"), null, Ct);

        Assert.Equal((null, true), (reported.Refund.RequestId, reported.Refund.External));
        Assert.NotEqual(RequestOrder, reported.Refund.OrderId);
        var request = (await _ledger.GetRequestAsync("r_link_unsent", Ct))!;
        Assert.Equal(RefundRequestState.Received, request.State);
        Assert.Empty(request.RefundIds);
        // Kept as an external refund of an order still unknown: open work a person and reconciliation can see.
        var open = await AllOpenAsync();
        Assert.Contains(open, w => w.RefundId == "re_link_unsent_00000000001" && w.ChargeId == Charge);
    }

    [Fact]
    public async Task A_refund_of_another_charge_is_not_applied_to_a_request_for_one_charge()
    {
        await SentInDoubtAsync("r_link_charge");

        var reported = await _ledger.ApplyRefundAsync(Refund("re_link_charge_00000000001", "r_link_charge", charge: "ch_other00000000000000001"), null, Ct);

        Assert.Equal((null, true), (reported.Refund.RequestId, reported.Refund.External));
        Assert.Equal(RefundRequestState.Submitting, (await _ledger.GetRequestAsync("r_link_charge", Ct))!.State);
    }

    [Fact]
    public async Task A_refund_of_a_sent_request_of_the_same_order_and_charge_is_linked()
    {
        await SentInDoubtAsync("r_link_ok");

        var listed = await _ledger.ApplyRefundAsync(Refund("re_link_ok_0000000000000001", "r_link_ok"), RequestOrder, Ct);

        Assert.Equal((RequestOrder, "r_link_ok", false), (listed.Refund.OrderId, listed.Refund.RequestId, listed.Refund.External));
        var request = (await _ledger.GetRequestAsync("r_link_ok", Ct))!;
        Assert.Equal((RefundRequestState.Succeeded, false), (request.State, request.Uncertain));
    }

    [Fact]
    public async Task A_signed_webhook_naming_an_unsent_request_is_stored_applied_as_external_and_settles_nothing()
    {
        using var signer = new TestSigner();
        using var h = ReceiverHarness.Create([signer.PublicKeyPem]);
        await h.Ledger.CreateRequestAsync(Request("r_link_hook"), Ct);
        var body = Events.RefundEvent("refund.succeeded", "evt_link_hook", "re_link_hook_0000000000001", "r_link_hook");

        var receipt = await h.Receiver.ReceiveAsync(body, signer.Sign(body), Ct);

        Assert.Equal(WebhookOutcome.Applied, receipt.Outcome);
        Assert.True((await h.Store.GetAsync("evt_link_hook", Ct))!.Applied);
        var refund = (await h.Ledger.GetRefundAsync("re_link_hook_0000000000001", Ct))!;
        Assert.Equal((null, true), (refund.RequestId, refund.External));
        Assert.Equal(RefundRequestState.Received, (await h.Ledger.GetRequestAsync("r_link_hook", Ct))!.State);
    }

    private async Task<List<OpenWorkItem>> AllOpenAsync()
    {
        var items = new List<OpenWorkItem>();
        string? continuation = null;
        do
        {
            var page = await _ledger.ListOpenWorkAsync(100, continuation, Ct);
            items.AddRange(page.Items);
            continuation = page.Continuation;
        }
        while (continuation is not null);
        return items;
    }
}
