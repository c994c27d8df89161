using Pingpp.Simulator.Faults;

namespace Refunds.IntegrationTests.RefundRequests;

using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Refunds;

/// <summary>Refund requests through the queue function in the dev host, against the simulator; each test owns both.</summary>
public sealed class RefundProcessingEndToEndTests
{
    [Fact]
    public async Task Hundred_requests_over_hundred_orders_make_hundred_refunds_that_all_end_succeeded_through_webhooks()
    {
        await using var app = await RefundAppHarness.StartAsync(webhooks: true);
        var requests = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => app.SeededRequestAsync($"bulk-{i:D3}-{Guid.NewGuid():N}", 100 + i)));
        await Task.WhenAll(requests.Select(r => app.RequestQueue.EnqueueAsync(r, CancellationToken.None)));

        foreach (var request in requests)
        {
            await app.WaitForStateAsync(request.RequestId, RefundRequestState.Submitted, TimeSpan.FromSeconds(120));
        }

        await app.WaitForQueuesDrainedAsync();
        // Settled at "Ping++": the refund.succeeded webhooks reach the webhook function, which applies them.
        Assert.Equal(100, await app.Sim.SettleAsync());
        var records = new Dictionary<string, RefundRequestRecord>();
        foreach (var request in requests)
        {
            records[request.RequestId] = await app.WaitForStateAsync(request.RequestId, RefundRequestState.Succeeded, TimeSpan.FromSeconds(120));
        }

        var simRefunds = await app.Sim.GetRefundsAsync();
        Assert.Equal(100, simRefunds.Count);
        var delivered = (await app.Sim.GetEventsAsync()).Where(e => e.Type == "refund.succeeded").ToList();
        Assert.Equal(100, delivered.Count);
        Assert.All(delivered, e => Assert.Contains(e.Attempts, a => a.StatusCode is >= 200 and < 300));
        foreach (var request in requests)
        {
            var refund = Assert.Single(simRefunds, r => r.OrderId == request.OrderId);
            Assert.Equal((request.RequestId, request.ChargeAmount!.Value, "succeeded"), (refund.RequestId, refund.Amount, refund.Status));
            var record = records[request.RequestId];
            Assert.Equal([refund.RefundId], record.RefundIds);
            Assert.False(record.Uncertain);
            Assert.Equal(PingppRefundStatus.Succeeded, (await app.Ledger.GetRefundAsync(refund.RefundId, CancellationToken.None))!.Status);
        }
    }

    [Theory]
    [InlineData(FaultInjector.HangAfterCreate)]
    [InlineData(FaultInjector.ErrorAfterCreate)]
    public async Task A_create_whose_answer_is_lost_is_found_again_and_makes_exactly_one_refund(string fault)
    {
        await using var app = await RefundAppHarness.StartAsync();
        var request = await app.SeededRequestAsync("lost-" + Guid.NewGuid().ToString("N"));
        await app.Sim.SetFaultsAsync(new Dictionary<string, FaultSpec> { [fault] = new() { Next = 1, HangMs = 5000 } });

        await app.RequestQueue.EnqueueAsync(request, CancellationToken.None);
        var record = await app.WaitForStateAsync(request.RequestId, RefundRequestState.Submitted);
        await app.WaitForQueuesDrainedAsync();

        var refund = Assert.Single(await app.Sim.GetRefundsAsync(request.OrderId));
        Assert.Equal(1, (await app.Sim.GetFaultsAsync())[fault].Triggered);
        Assert.Equal(request.RequestId, refund.RequestId);
        Assert.Equal([refund.RefundId], record.RefundIds);
        Assert.True(record.Attempt >= 2, "the second attempt adopted the refund");
        Assert.False(record.Uncertain);
    }

    [Fact]
    public async Task A_5xx_before_recording_is_retried_after_the_grace_period_and_makes_exactly_one_refund()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var request = await app.SeededRequestAsync("5xx-" + Guid.NewGuid().ToString("N"));
        await app.Sim.SetFaultsAsync(new Dictionary<string, FaultSpec> { [FaultInjector.ErrorBeforeCreate] = new() { Next = 1 } });

        await app.RequestQueue.EnqueueAsync(request, CancellationToken.None);
        var record = await app.WaitForStateAsync(request.RequestId, RefundRequestState.Submitted);
        await app.WaitForQueuesDrainedAsync();

        Assert.Equal(1, (await app.Sim.GetFaultsAsync())[FaultInjector.ErrorBeforeCreate].Triggered);
        var refund = Assert.Single(await app.Sim.GetRefundsAsync(request.OrderId));
        Assert.Equal(request.RequestId, refund.RequestId);
        Assert.Equal([refund.RefundId], record.RefundIds);
        // A 5xx leaves the outcome unknown: the retry listed first, and created only once the grace period was over.
        Assert.True(record.LastSendStartedAt - record.CreatedAt >= RefundAppHarness.GracePeriod, $"second create at {record.LastSendStartedAt:O}, first seen {record.CreatedAt:O}");
    }

    [Fact]
    public async Task A_rate_limited_create_is_retried_without_waiting_for_the_grace_period_and_makes_exactly_one_refund()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var request = await app.SeededRequestAsync("429-" + Guid.NewGuid().ToString("N"));
        await app.Sim.SetFaultsAsync(new Dictionary<string, FaultSpec> { [FaultInjector.RateLimit] = new() { Next = 2, RetryAfterSeconds = 1 } });

        await app.RequestQueue.EnqueueAsync(request, CancellationToken.None);
        var record = await app.WaitForStateAsync(request.RequestId, RefundRequestState.Submitted);
        await app.WaitForQueuesDrainedAsync();

        Assert.Equal(2, (await app.Sim.GetFaultsAsync())[FaultInjector.RateLimit].Triggered);
        var refund = Assert.Single(await app.Sim.GetRefundsAsync(request.OrderId));
        Assert.Equal([refund.RefundId], record.RefundIds);
        // Rate limited = certainly not performed: each retry created straight away (three claims, three creates).
        Assert.Equal(3, record.Attempt);
    }

    [Fact]
    public async Task The_same_request_enqueued_five_times_at_once_makes_one_refund()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var request = await app.SeededRequestAsync("dup-" + Guid.NewGuid().ToString("N"), amount: 1000, chargeAmount: 100);

        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => app.RequestQueue.EnqueueAsync(request, CancellationToken.None)));
        await app.WaitForStateAsync(request.RequestId, RefundRequestState.Submitted);
        await app.WaitForQueuesDrainedAsync();

        var refund = Assert.Single(await app.Sim.GetRefundsAsync(request.OrderId));
        Assert.Equal((request.RequestId, 100L), (refund.RequestId, refund.Amount));
    }

    [Fact]
    public async Task Requests_ping_rejects_end_failed_with_its_code_and_are_not_retried()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var over = await app.SeededRequestAsync("over-" + Guid.NewGuid().ToString("N"), amount: 500, chargeAmount: 501);
        var unknownCharge = (await app.SeededRequestAsync("nocharge-" + Guid.NewGuid().ToString("N"))) with { Charge = "ch_doesNotExist0000000000" };

        await app.RequestQueue.EnqueueAsync(over, CancellationToken.None);
        await app.RequestQueue.EnqueueAsync(unknownCharge, CancellationToken.None);
        var overRecord = await app.WaitForStateAsync(over.RequestId, RefundRequestState.Failed);
        var chargeRecord = await app.WaitForStateAsync(unknownCharge.RequestId, RefundRequestState.Failed);
        await app.WaitForQueuesDrainedAsync();

        Assert.Equal(("refund_amount_exceeded", 1), (overRecord.FailureCode, overRecord.Attempt));
        Assert.Equal(("resource_missing", 1), (chargeRecord.FailureCode, chargeRecord.Attempt));
        Assert.Contains("退款金额超过可退金额", overRecord.FailureMessage);
        Assert.Empty(await app.Sim.GetRefundsAsync());
        Assert.Equal(0, await RefundAppHarness.CountAsync(app.Poison));
    }

    [Fact]
    public async Task A_request_that_keeps_failing_is_dead_lettered_with_its_last_error_and_an_admin_requeue_finishes_it()
    {
        await using var app = await RefundAppHarness.StartAsync(maxDequeueCount: 2);
        var request = await app.SeededRequestAsync("poison-" + Guid.NewGuid().ToString("N"));
        await app.Sim.SetFaultsAsync(new Dictionary<string, FaultSpec> { [FaultInjector.RateLimit] = new() { Next = 2, RetryAfterSeconds = 1 } });

        await app.RequestQueue.EnqueueAsync(request, CancellationToken.None);
        var dead = await app.WaitForStateAsync(request.RequestId, RefundRequestState.DeadLettered);
        await app.WaitForQueuesDrainedAsync();

        Assert.StartsWith("create: rate_limited", dead.LastError, StringComparison.Ordinal);
        Assert.Equal(2, dead.Attempt);
        Assert.False(dead.Uncertain, "rate limited = not performed");
        Assert.Empty(await app.Sim.GetRefundsAsync());

        using var response = await app.AdminClient.PostAsync("/api/manage/refund-requests/requeue-dead-lettered", null);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var answer = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!["requeued"]!.AsArray();
        var item = Assert.Single(answer);
        Assert.Equal((request.RequestId, true), (item!["request_id"]!.GetValue<string>(), item["requeued"]!.GetValue<bool>()));

        var done = await app.WaitForStateAsync(request.RequestId, RefundRequestState.Submitted);
        await app.WaitForQueuesDrainedAsync();
        var refund = Assert.Single(await app.Sim.GetRefundsAsync(request.OrderId));
        Assert.Equal([refund.RefundId], done.RefundIds);
    }

    [Fact]
    public async Task Ping_unreachable_dead_letters_the_request_with_a_not_sent_error_that_needs_no_grace()
    {
        await using var app = await RefundAppHarness.StartAsync(maxDequeueCount: 2, apiBaseOverride: "http://127.0.0.1:1");
        var request = await app.SeededRequestAsync("unreachable-" + Guid.NewGuid().ToString("N"));

        await app.RequestQueue.EnqueueAsync(request, CancellationToken.None);
        var dead = await app.WaitForStateAsync(request.RequestId, RefundRequestState.DeadLettered);

        Assert.StartsWith("create: not_sent", dead.LastError, StringComparison.Ordinal);
        Assert.False(dead.Uncertain);
        Assert.Equal(2, dead.Attempt);
        Assert.Empty(await app.Sim.GetRefundsAsync());
    }

    [Fact]
    public async Task A_poison_message_of_a_request_whose_claim_is_live_is_retried_later_and_never_dead_letters_it()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var request = await app.SeededRequestAsync("livepoison-" + Guid.NewGuid().ToString("N"));
        // A delivery holds the claim and is calling Ping++ when a copy of the message reaches the poison queue.
        await app.Ledger.CreateClaimedRequestAsync(request.ToLedgerRecord(), DateTimeOffset.UtcNow, TimeSpan.FromSeconds(5), CancellationToken.None);
        await app.Poison.CreateIfNotExistsAsync();
        await app.Poison.SendMessageAsync(request.ToQueueJson());

        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(RefundRequestState.Submitting, (await app.Ledger.GetRequestAsync(request.RequestId, CancellationToken.None))!.State);

        // The holder's create is answered and recorded; the retried poison message then finds the request done.
        var created = await app.Simulator.CreateClient().CreateOrderRefundAsync(request.OrderId, request.ToCreateOrderRefundRequest());
        await app.Ledger.RecordSubmittedAsync(request.RequestId, created.Data, CancellationToken.None);
        await app.WaitForQueuesDrainedAsync();

        var record = (await app.Ledger.GetRequestAsync(request.RequestId, CancellationToken.None))!;
        Assert.Equal((RefundRequestState.Submitted, (string?)null), (record.State, record.LastError));
        Assert.Single(await app.Sim.GetRefundsAsync(request.OrderId));
    }

    [Fact]
    public async Task A_lost_create_is_adopted_by_charge_and_amount_when_pingpp_strips_metadata_and_makes_exactly_one_refund()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var request = await app.SeededRequestAsync("strip-" + Guid.NewGuid().ToString("N"), amount: 1000, chargeAmount: 400);
        await app.Sim.SetFaultsAsync(new Dictionary<string, FaultSpec>
        {
            [FaultInjector.StripMetadata] = new(),
            [FaultInjector.ErrorAfterCreate] = new() { Next = 1 },
        });

        await app.RequestQueue.EnqueueAsync(request, CancellationToken.None);
        var record = await app.WaitForStateAsync(request.RequestId, RefundRequestState.Submitted);
        await app.WaitForQueuesDrainedAsync();
        await Task.Delay(RefundAppHarness.GracePeriod);

        var refund = Assert.Single(await app.Sim.GetRefundsAsync(request.OrderId));
        Assert.Equal((request.RequestId, 400L), (refund.RequestId, refund.Amount));
        Assert.Equal([refund.RefundId], record.RefundIds);
        Assert.Equal(1, (await app.Sim.GetApiCallsAsync()).Count(c => c.Method == "POST"));
        Assert.False(record.Uncertain);
    }

    [Fact]
    public async Task A_lost_create_next_to_an_unmarked_refund_of_the_same_amount_is_parked_for_review_visible_in_the_api_and_never_created_again()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var request = await app.SeededRequestAsync("review-" + Guid.NewGuid().ToString("N"), amount: 1000, chargeAmount: 400);
        // Recorded (as the HTTP API does), then someone refunds the same amount of the same charge in the dashboard.
        await app.Ledger.CreateRequestAsync(request.ToLedgerRecord(), CancellationToken.None);
        await app.Sim.DashboardRefundAsync(request.OrderId, request.Charge, 400);
        await app.Sim.SetFaultsAsync(new Dictionary<string, FaultSpec>
        {
            [FaultInjector.StripMetadata] = new(),
            [FaultInjector.ErrorAfterCreate] = new() { Next = 1 },
        });

        await app.RequestQueue.EnqueueAsync(request, CancellationToken.None);
        var parked = await app.WaitForStateAsync(request.RequestId, RefundRequestState.NeedsReview);
        await app.WaitForQueuesDrainedAsync();
        await Task.Delay(RefundAppHarness.GracePeriod * 2);

        Assert.True(parked.Uncertain);
        Assert.Contains("without our marker", parked.LastError);
        Assert.Equal(2, (await app.Sim.GetRefundsAsync(request.OrderId)).Count);
        Assert.Equal(1, (await app.Sim.GetApiCallsAsync()).Count(c => c.Method == "POST"));
        var view = await app.GetJsonAsync($"/api/orders/{request.OrderId}/refunds/{request.RequestId}");
        Assert.Equal("needs_review", view!["status"]!.GetValue<string>());
        Assert.Equal(RefundRequestState.NeedsReview, (await app.Ledger.GetRequestAsync(request.RequestId, CancellationToken.None))!.State);
    }

    public static TheoryData<string, FaultSpec> AnswersThatAreNoRefusal => new()
    {
        // 401: a clock or key problem, refused before anything was done: retried (and alerted on), not failed.
        { FaultInjector.Unauthorized, new FaultSpec { Next = 2 } },
        // A bare 403 is rate limiting as four of the SDKs read it: back off, not failed.
        { FaultInjector.RateLimit, new FaultSpec { Next = 1, Status = 403 } },
        // A 402 channel_error whose code is no definite refusal may still complete: looked up, and here adopted.
        { FaultInjector.ChannelError, new FaultSpec { Next = 1, Performed = true, FailureCode = "channel_timeout", FailureMsg = "渠道超时" } },
    };

    [Theory]
    [MemberData(nameof(AnswersThatAreNoRefusal))]
    public async Task Answers_the_sdks_read_as_no_refusal_never_fail_the_request_and_make_exactly_one_refund(string fault, FaultSpec spec)
    {
        await using var app = await RefundAppHarness.StartAsync();
        var request = await app.SeededRequestAsync("nofail-" + Guid.NewGuid().ToString("N"));
        await app.Sim.SetFaultsAsync(new Dictionary<string, FaultSpec> { [fault] = spec });

        await app.RequestQueue.EnqueueAsync(request, CancellationToken.None);
        var record = await app.WaitForStateAsync(request.RequestId, RefundRequestState.Submitted);
        await app.WaitForQueuesDrainedAsync();

        Assert.True((await app.Sim.GetFaultsAsync())[fault].Triggered >= 1);
        var refund = Assert.Single(await app.Sim.GetRefundsAsync(request.OrderId));
        Assert.Equal([refund.RefundId], record.RefundIds);
        Assert.Null(record.FailureCode);
    }

    [Fact]
    public async Task A_402_channel_error_with_a_definite_refusal_code_fails_the_request_with_that_code()
    {
        await using var app = await RefundAppHarness.StartAsync();
        var request = await app.SeededRequestAsync("refused-" + Guid.NewGuid().ToString("N"));
        await app.Sim.SetFaultsAsync(new Dictionary<string, FaultSpec>
        {
            [FaultInjector.ChannelError] = new() { Next = 1, FailureCode = "channel_refund_rejected", FailureMsg = "渠道拒绝退款" },
        });

        await app.RequestQueue.EnqueueAsync(request, CancellationToken.None);
        var record = await app.WaitForStateAsync(request.RequestId, RefundRequestState.Failed);
        await app.WaitForQueuesDrainedAsync();

        Assert.Equal(("channel_refund_rejected", 1, false), (record.FailureCode, record.Attempt, record.Uncertain));
        Assert.Empty(await app.Sim.GetRefundsAsync(request.OrderId));
    }
}
