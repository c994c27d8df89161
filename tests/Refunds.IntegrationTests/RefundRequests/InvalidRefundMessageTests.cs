using System.Text;

namespace Refunds.IntegrationTests.RefundRequests;

using Refunds.Core.Ledger;

/// <summary>Invalid messages through the real queue: recorded as Rejected with reasons and raw text, never retried, never lost.</summary>
public sealed class InvalidRefundMessageTests
{
    [Fact]
    public async Task Every_kind_of_invalid_message_is_rejected_with_its_reasons_and_a_base64_message_is_performed()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var order = await app.Sim.SeedOrderAsync(1000);
        var o = order.Id;
        var cases = new (string Id, string Text, string Expected)[]
        {
            ("inv-notjson", "this is not json {", "neither JSON nor base64"),
            ("inv-b64garbage", Convert.ToBase64String(Encoding.UTF8.GetBytes("garbage, not json")), "base64 but does not decode to JSON"),
            ("inv-noorder", """{"request_id":"inv-noorder","description":"x"}""", "order_id"),
            ("inv-nodesc", $$"""{"request_id":"inv-nodesc","order_id":"{{o}}"}""", "description"),
            ("inv-longdesc", $$"""{"request_id":"inv-longdesc","order_id":"{{o}}","description":"{{new string('x', 256)}}"}""", "255"),
            ("inv-negative", $$"""{"request_id":"inv-negative","order_id":"{{o}}","description":"x","charge":"ch_1","charge_amount":-5}""", "charge_amount"),
            ("inv-fraction", $$"""{"request_id":"inv-fraction","order_id":"{{o}}","description":"x","charge":"ch_1","charge_amount":1.5}""", "charge_amount"),
            ("inv-nocharge", $$"""{"request_id":"inv-nocharge","order_id":"{{o}}","description":"x","charge_amount":5}""", "charge"),
            ("inv-mode", $$"""{"request_id":"inv-mode","order_id":"{{o}}","description":"x","refund_mode":"to_moon"}""", "to_source or to_balance"),
            ("inv-source", $$"""{"request_id":"inv-source","order_id":"{{o}}","description":"x","funding_source":"piggy_bank"}""", "unsettled_funds or recharge_funds"),
            ("inv-royalty", $$"""{"request_id":"inv-royalty","order_id":"{{o}}","description":"x","royalty_users":[{"user":"u1"}]}""", "royalty_users"),
            ("inv-unknown", $$"""{"request_id":"inv-unknown","order_id":"{{o}}","description":"x","charge_ammount":5}""", "not a known field"),
        };
        var suffix = Guid.NewGuid().ToString("N")[..8];
        foreach (var (id, text, _) in cases)
        {
            await app.Queue.SendMessageAsync(text.Replace(id, id + suffix, StringComparison.Ordinal));
        }

        var big = $$$"""{"request_id":"inv-big{{{suffix}}}","order_id":"{{{o}}}","description":"x","metadata":{"k":"{{{new string('y', 70_000)}}}"}}""";
        var bigReceipt = await app.Queue.SendMessageAsync(new BinaryData(Encoding.UTF8.GetBytes(big[..(64 * 1024 - 100)])));
        var valid = Convert.ToBase64String(Encoding.UTF8.GetBytes($$"""{"request_id":"b64-{{suffix}}","order_id":"{{o}}","description":"base64 是可以的","charge":"{{order.ChargeIds[0]}}","charge_amount":10}"""));
        await app.Queue.SendMessageAsync(valid);

        await app.WaitForStateAsync("b64-" + suffix, RefundRequestState.Submitted);
        await app.WaitForQueuesDrainedAsync();
        // Not retried: messages ids that were not JSON are filed under their queue message id; JSON ones under request_id.
        foreach (var (id, text, expected) in cases.Where(c => c.Id is not ("inv-notjson" or "inv-b64garbage")))
        {
            var record = await app.WaitForStateAsync(id + suffix, RefundRequestState.Rejected);
            Assert.Contains(record.RejectionReasons, r => r.Contains(expected, StringComparison.Ordinal));
            Assert.Equal(text.Replace(id, id + suffix, StringComparison.Ordinal), record.RawText);
            Assert.Equal(0, record.Attempt);
        }

        var truncated = await app.WaitForStateAsync(bigReceipt.Value.MessageId, RefundRequestState.Rejected);
        Assert.Equal(64 * 1024 - 100, truncated.RawText!.Length);
        Assert.Single(await app.Sim.GetRefundsAsync());
        Assert.Equal(0, await RefundAppHarness.CountAsync(app.Poison));
    }

    [Fact]
    public async Task A_message_without_request_id_and_its_poison_copy_are_rejected_under_their_message_ids_and_never_reach_pingpp()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var order = await app.Sim.SeedOrderAsync(1000);
        var text = $$"""{"order_id":"{{order.Id}}","description":"无编号","charge":"{{order.ChargeIds[0]}}","charge_amount":10}""";

        // The host copies only the text to the poison queue, so the copy has a new message id: keyed by message ids,
        // the two would be two requests (one performed, one dead-lettered, and requeueing that one refunds again).
        await app.Poison.CreateIfNotExistsAsync();
        var sent = await app.Queue.SendMessageAsync(text);
        var copy = await app.Poison.SendMessageAsync(text);

        var rejected = await app.WaitForStateAsync(sent.Value.MessageId, RefundRequestState.Rejected);
        var rejectedCopy = await app.WaitForStateAsync(copy.Value.MessageId, RefundRequestState.Rejected);
        await app.WaitForQueuesDrainedAsync();

        Assert.All([rejected, rejectedCopy], r =>
        {
            Assert.Contains(r.RejectionReasons, reason => reason.StartsWith("request_id: is required", StringComparison.Ordinal));
            Assert.Equal((0, text), (r.Attempt, r.RawText));
        });
        Assert.Empty(await app.Sim.GetRefundsAsync(order.Id));
        Assert.DoesNotContain(await app.Sim.GetApiCallsAsync(), c => c.Method == "POST");
    }
}
