using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Refunds.Core.Ledger;
using Refunds.Core.Webhooks;

namespace Refunds.IntegrationTests;

/// <summary>
/// What applying a webhook costs in table requests, counted on the wire (a pipeline policy on the receiver's
/// <see cref="TableServiceClient"/>, retries included), so that a change that adds a request fails here. The budget
/// and what each request is for: docs/performance.md, "Ingestion, refund.succeeded".
/// </summary>
public class WebhookApplyCostTests
{
    [Fact]
    public async Task Refund_succeeded_for_a_request_of_ours_is_stored_and_applied_in_7_reads_and_8_writes()
    {
        using var signer = new TestSigner();
        var counter = new TableRequestCounter();
        using var h = CountedReceiver(signer, counter);
        var refundId = await WebhookReceiverTests.SubmittedRequestWithPendingRefundAsync(h.Ledger, "req_cost", "re_cost00000000000000000001");
        Assert.Null(await h.Store.GetAsync("evt_none", CancellationToken.None)); // creates the events table before counting

        var (receipt, reads, writes) = await CountAsync(h, signer, counter, Events.RefundSucceeded("evt_cost", refundId, "req_cost"));

        Assert.Equal((WebhookOutcome.Applied, true), (receipt.Outcome, receipt.LedgerChanged));
        Assert.Equal(RefundRequestState.Succeeded, (await h.Ledger.GetRequestAsync("req_cost", CancellationToken.None))!.State);
        Assert.True((await h.Store.GetAsync("evt_cost", CancellationToken.None))!.Applied);
        var open = await h.Ledger.ListOpenWorkAsync(100, null, CancellationToken.None);
        Assert.DoesNotContain(open.Items, i => i.OrderId == WebhookReceiverTests.OrderId);
        // 6 reads + 4 writes for the event (its time index row rides in the same transactions) and the ledger; the request's move to Succeeded adds the request index's
        // 1 read + 3 writes (docs/operations.md: day-row merge before, day-row replace and old state row delete after;
        // succeeded requests get no state row).
        Assert.Equal((7, 7), (reads, writes));
        // The time index row went with the event row and was marked applied with it.
        var listed = await h.Store.ListAsync(new WebhookEventQuery(null, null, null, null, 10, null), CancellationToken.None);
        Assert.Equal(("evt_cost", WebhookApplyStatus.Applied, "refund"), (Assert.Single(listed.Items).EventId, listed.Items[0].ApplyStatus, listed.Items[0].AppliedAs));
    }

    [Fact]
    public async Task The_same_refund_succeeded_under_another_event_id_changes_nothing_and_writes_only_the_event()
    {
        using var signer = new TestSigner();
        var counter = new TableRequestCounter();
        using var h = CountedReceiver(signer, counter);
        var refundId = await WebhookReceiverTests.SubmittedRequestWithPendingRefundAsync(h.Ledger, "req_again", "re_again0000000000000000001");
        var (first, _, _) = await CountAsync(h, signer, counter, Events.RefundSucceeded("evt_again_1", refundId, "req_again"));
        Assert.Equal(WebhookOutcome.Applied, first.Outcome);

        var (receipt, reads, writes) = await CountAsync(h, signer, counter, Events.RefundSucceeded("evt_again_2", refundId, "req_again"));

        Assert.Equal((WebhookOutcome.Applied, false), (receipt.Outcome, receipt.LedgerChanged));
        Assert.Equal(RefundRequestState.Succeeded, (await h.Ledger.GetRequestAsync("req_again", CancellationToken.None))!.State);
        // The event row and its mark; the ledger is read (lookup, refund, request) and left alone.
        Assert.Equal((3, 2), (reads, writes));
    }

    [Fact]
    public async Task A_stored_only_event_and_its_time_index_row_cost_one_write()
    {
        using var signer = new TestSigner();
        var counter = new TableRequestCounter();
        using var h = CountedReceiver(signer, counter);
        Assert.Null(await h.Store.GetAsync("evt_none", CancellationToken.None)); // creates the events table before counting

        var (receipt, reads, writes) = await CountAsync(h, signer, counter, Events.Unknown("evt_indexed", livemode: true));

        Assert.Equal(WebhookOutcome.Stored, receipt.Outcome);
        // The event row and its index row go in one entity-group transaction: the index costs the webhook nothing.
        Assert.Equal((0, 1), (reads, writes));
        var listed = await h.Store.ListAsync(new WebhookEventQuery(null, null, null, null, 10, null), CancellationToken.None);
        Assert.Equal(("evt_indexed", WebhookApplyStatus.Ignored), (Assert.Single(listed.Items).EventId, listed.Items[0].ApplyStatus));
    }

    /// <summary>A receiver whose event store and ledger share one storage client that counts its requests.</summary>
    private static ReceiverHarness CountedReceiver(TestSigner signer, TableRequestCounter counter)
    {
        var options = new TableClientOptions();
        options.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        var tables = new TableServiceClient(Azurite.ConnectionString, options);
        return ReceiverHarness.Create([signer.PublicKeyPem], eventStorage: tables, ledgerStorage: tables);
    }

    /// <summary>Delivers a signed event and counts the table requests of that delivery alone.</summary>
    private static async Task<(WebhookReceipt Receipt, int Reads, int Writes)> CountAsync(ReceiverHarness h, TestSigner signer, TableRequestCounter counter, byte[] body)
    {
        var signature = signer.Sign(body);
        counter.Reset();
        var receipt = await h.Receiver.ReceiveAsync(body, signature, CancellationToken.None);
        return (receipt, counter.Reads, counter.Writes);
    }

    /// <summary>Counts every request the storage client sends, reads (GET) and writes apart.</summary>
    private sealed class TableRequestCounter : HttpPipelineSynchronousPolicy
    {
        private int _reads;
        private int _writes;

        public int Reads => Volatile.Read(ref _reads);

        public int Writes => Volatile.Read(ref _writes);

        public void Reset() => (_reads, _writes) = (0, 0);

        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.Request.Method == RequestMethod.Get)
            {
                Interlocked.Increment(ref _reads);
            }
            else
            {
                Interlocked.Increment(ref _writes);
            }
        }
    }
}
