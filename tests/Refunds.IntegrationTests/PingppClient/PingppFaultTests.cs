using Pingpp.Simulator.Faults;
using Refunds.Core.Configuration;
using Refunds.Core.Pingpp;
using Refunds.IntegrationTests.Support;

namespace Refunds.IntegrationTests.PingppClient;

/// <summary>
/// Injected Ping++ failures, checked against the simulator's own records: a create is sent exactly once and its
/// uncertain outcomes say so; reads retry. Faults are global, so every test owns its simulator.
/// </summary>
public sealed class PingppFaultTests
{
    private static CreateOrderRefundRequest Refund(string requestId) => new()
    {
        Description = "顾客退货",
        Metadata = new Dictionary<string, string> { [PingppMetadata.RequestId] = requestId },
    };

    private static string NewRequestId() => "rr_" + Guid.NewGuid().ToString("N");

    private static Task<IReadOnlyDictionary<string, FaultSpec>> SetFaultAsync(SimulatorServer sim, string kind, FaultSpec spec) =>
        sim.Admin.SetFaultsAsync(new Dictionary<string, FaultSpec> { [kind] = spec });

    private static async Task<int> TriggeredAsync(SimulatorServer sim, string kind) => (await sim.Admin.GetFaultsAsync())[kind].Triggered;

    // The faults below fire on every call (no "next"), so a second POST would show up as a second trigger.
    [Fact]
    public async Task Create_that_fails_before_recording_surfaces_outcome_unknown_and_nothing_is_refunded()
    {
        await using var sim = await SimulatorServer.StartAsync();
        var order = await sim.Admin.SeedOrderAsync(500);
        await SetFaultAsync(sim, FaultInjector.ErrorBeforeCreate, new FaultSpec { Status = 503 });

        var ex = await Assert.ThrowsAsync<PingppException>(() => sim.CreateClient().CreateOrderRefundAsync(order.Id, Refund(NewRequestId())));

        Assert.Equal(PingppErrorKind.OutcomeUnknown, ex.Kind);
        Assert.Equal(503, ex.StatusCode);
        Assert.Equal("api_error", ex.ErrorType);
        Assert.Empty(await sim.Admin.GetRefundsAsync());
        Assert.Equal(1, await TriggeredAsync(sim, FaultInjector.ErrorBeforeCreate));
    }

    [Fact]
    public async Task Create_that_loses_its_response_to_a_5xx_surfaces_outcome_unknown_and_the_refund_exists_once()
    {
        await using var sim = await SimulatorServer.StartAsync();
        var order = await sim.Admin.SeedOrderAsync(500);
        await SetFaultAsync(sim, FaultInjector.ErrorAfterCreate, new FaultSpec());
        var client = sim.CreateClient();
        var requestId = NewRequestId();

        var ex = await Assert.ThrowsAsync<PingppException>(() => client.CreateOrderRefundAsync(order.Id, Refund(requestId)));

        Assert.Equal(PingppErrorKind.OutcomeUnknown, ex.Kind);
        Assert.Equal(500, ex.StatusCode);
        Assert.Equal(("api_error", "internal_error"), (ex.ErrorType, ex.ErrorCode));
        var recorded = Assert.Single(await sim.Admin.GetRefundsAsync());
        Assert.Equal((order.Id, 500L, requestId), (recorded.OrderId, recorded.Amount, recorded.RequestId));
        Assert.Equal(1, await TriggeredAsync(sim, FaultInjector.ErrorAfterCreate));
        // The look-before-resending path finds the lost refund by our request id.
        Assert.Equal(recorded.RefundId, Assert.Single(await client.ListAllOrderRefundsAsync(order.Id), r => r.RequestId == requestId).Id);
    }

    [Fact]
    public async Task Create_that_hangs_past_the_request_timeout_surfaces_outcome_unknown_and_is_sent_once()
    {
        await using var sim = await SimulatorServer.StartAsync();
        var order = await sim.Admin.SeedOrderAsync(500);
        await SetFaultAsync(sim, FaultInjector.HangAfterCreate, new FaultSpec { HangMs = 60_000 });
        var client = sim.CreateClient(new Dictionary<string, string?>
        {
            [SimulatorServer.ConfigKey(SettingNames.PingppRequestTimeout)] = "00:00:01",
        });
        var requestId = NewRequestId();

        var ex = await Assert.ThrowsAsync<PingppException>(() => client.CreateOrderRefundAsync(order.Id, Refund(requestId)));

        Assert.Equal(PingppErrorKind.OutcomeUnknown, ex.Kind);
        Assert.Null(ex.StatusCode);
        Assert.IsAssignableFrom<OperationCanceledException>(ex.InnerException);
        var recorded = Assert.Single(await sim.Admin.GetRefundsAsync());
        Assert.Equal(requestId, recorded.RequestId);
        Assert.Equal(1, await TriggeredAsync(sim, FaultInjector.HangAfterCreate));
    }

    [Fact]
    public async Task Rate_limited_create_surfaces_rate_limited_with_retry_after_and_is_not_retried()
    {
        await using var sim = await SimulatorServer.StartAsync();
        var order = await sim.Admin.SeedOrderAsync(500);
        await SetFaultAsync(sim, FaultInjector.RateLimit, new FaultSpec { RetryAfterSeconds = 7 });

        var ex = await Assert.ThrowsAsync<PingppException>(() => sim.CreateClient().CreateOrderRefundAsync(order.Id, Refund(NewRequestId())));

        Assert.Equal(PingppErrorKind.RateLimited, ex.Kind);
        Assert.Equal(429, ex.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
        Assert.Equal("too_many_requests", ex.ErrorCode);
        Assert.Empty(await sim.Admin.GetRefundsAsync());
        Assert.Equal(1, await TriggeredAsync(sim, FaultInjector.RateLimit));
    }

    [Fact]
    public async Task Rate_limited_read_is_retried_until_it_succeeds()
    {
        await using var sim = await SimulatorServer.StartAsync();
        var order = await sim.Admin.SeedOrderAsync(500);
        var client = sim.CreateClient();
        var created = Assert.Single((await client.CreateOrderRefundAsync(order.Id, Refund(NewRequestId()))).Data);
        await SetFaultAsync(sim, FaultInjector.RateLimit, new FaultSpec { Next = 2, RetryAfterSeconds = 0 });

        var list = await client.ListOrderRefundsAsync(order.Id);

        Assert.Equal(created.Id, Assert.Single(list.Data).Id);
        // Two throttled attempts, then the third got through.
        var fault = (await sim.Admin.GetFaultsAsync())[FaultInjector.RateLimit];
        Assert.Equal((2, 0), (fault.Triggered, fault.Next));
    }

    [Fact]
    public async Task Read_that_meets_server_errors_is_retried_until_it_succeeds()
    {
        await using var sim = await SimulatorServer.StartAsync();
        var order = await sim.Admin.SeedOrderAsync(500);
        var client = sim.CreateClient();
        var created = Assert.Single((await client.CreateOrderRefundAsync(order.Id, Refund(NewRequestId()))).Data);
        await SetFaultAsync(sim, FaultInjector.ErrorOnRead, new FaultSpec { Next = 2, Status = 502 });

        var refund = await client.RetrieveOrderRefundAsync(order.Id, created.Id);

        Assert.Equal(created.Id, refund.Id);
        var fault = (await sim.Admin.GetFaultsAsync())[FaultInjector.ErrorOnRead];
        Assert.Equal((2, 0), (fault.Triggered, fault.Next));
    }

    [Fact]
    public async Task Read_that_keeps_failing_with_server_errors_surfaces_outcome_unknown_after_the_retries()
    {
        await using var sim = await SimulatorServer.StartAsync();
        var order = await sim.Admin.SeedOrderAsync(500);
        var client = sim.CreateClient(new Dictionary<string, string?>
        {
            [SimulatorServer.ConfigKey(SettingNames.PingppMaxReadRetries)] = "2",
        });
        await SetFaultAsync(sim, FaultInjector.ErrorOnRead, new FaultSpec { Status = 503 });

        var ex = await Assert.ThrowsAsync<PingppException>(() => client.ListOrderRefundsAsync(order.Id));

        Assert.Equal(PingppErrorKind.OutcomeUnknown, ex.Kind);
        Assert.Equal(503, ex.StatusCode);
        Assert.Equal(3, await TriggeredAsync(sim, FaultInjector.ErrorOnRead));
    }

    [Fact]
    public async Task Read_that_stays_rate_limited_gives_up_after_the_configured_retries()
    {
        await using var sim = await SimulatorServer.StartAsync();
        var order = await sim.Admin.SeedOrderAsync(500);
        var client = sim.CreateClient(new Dictionary<string, string?>
        {
            [SimulatorServer.ConfigKey(SettingNames.PingppMaxReadRetries)] = "2",
        });
        await SetFaultAsync(sim, FaultInjector.RateLimit, new FaultSpec { RetryAfterSeconds = 0 });

        var ex = await Assert.ThrowsAsync<PingppException>(() => client.RetrieveOrderAsync(order.Id));

        Assert.Equal(PingppErrorKind.RateLimited, ex.Kind);
        Assert.Equal(3, await TriggeredAsync(sim, FaultInjector.RateLimit));
    }

    [Fact]
    public async Task Read_told_to_wait_longer_than_allowed_fails_at_once_with_the_retry_after()
    {
        await using var sim = await SimulatorServer.StartAsync();
        var order = await sim.Admin.SeedOrderAsync(500);
        await SetFaultAsync(sim, FaultInjector.RateLimit, new FaultSpec { RetryAfterSeconds = 120 });

        var ex = await Assert.ThrowsAsync<PingppException>(() => sim.CreateClient().ListOrderRefundsAsync(order.Id));

        Assert.Equal(PingppErrorKind.RateLimited, ex.Kind);
        Assert.Equal(TimeSpan.FromSeconds(120), ex.RetryAfter);
        Assert.Equal(1, await TriggeredAsync(sim, FaultInjector.RateLimit));
    }
}
