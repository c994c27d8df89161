using Refunds.Core.Pingpp;
using Refunds.IntegrationTests.Support;

namespace Refunds.IntegrationTests.PingppClient;

/// <summary>Every order-refund endpoint, through the production-wired client, against the simulator over HTTP.</summary>
public sealed class OrderRefundEndpointTests(SharedSimulator shared) : IClassFixture<SharedSimulator>
{
    private readonly SimulatorServer _sim = shared.Server;

    private static string NewRequestId() => "rr_" + Guid.NewGuid().ToString("N");

    private static CreateOrderRefundRequest Refund(string? charge = null, long? amount = null, string? requestId = null) => new()
    {
        Description = "顾客退货",
        Charge = charge,
        ChargeAmount = amount,
        Metadata = new Dictionary<string, string> { [PingppMetadata.RequestId] = requestId ?? NewRequestId() },
    };

    [Fact]
    public async Task Create_with_every_parameter_returns_a_list_whose_refund_echoes_them()
    {
        var order = await _sim.Admin.SeedOrderAsync(1000, [600, 400]);
        var client = _sim.CreateClient();
        var requestId = NewRequestId();

        var created = await client.CreateOrderRefundAsync(order.Id, new CreateOrderRefundRequest
        {
            Description = "部分退款: 尺码不合适",
            Charge = order.ChargeIds[0],
            ChargeAmount = 250,
            RefundMode = OrderRefundMode.ToBalance,
            FundingSource = RefundFundingSource.RechargeFunds,
            RoyaltyUsers = [new RoyaltyUserRefund("user_007", 50)],
            Metadata = new Dictionary<string, string> { [PingppMetadata.RequestId] = requestId, ["shop"] = "上海店" },
        });

        Assert.Equal("list", created.Object);
        Assert.False(created.HasMore);
        var refund = Assert.Single(created.Data);
        Assert.StartsWith("re_", refund.Id, StringComparison.Ordinal);
        Assert.Equal(27, refund.Id.Length);
        Assert.Equal("refund", refund.Object);
        Assert.Equal(250, refund.Amount);
        Assert.Equal(order.ChargeIds[0], refund.Charge);
        Assert.Equal("部分退款: 尺码不合适", refund.Description);
        Assert.Equal("recharge_funds", refund.FundingSource);
        Assert.Equal(PingppRefundStatus.Pending, refund.Status);
        Assert.False(refund.Succeed);
        Assert.Equal(requestId, refund.RequestId);
        Assert.Equal("上海店", refund.Metadata!["shop"]);

        // The simulator's own record agrees with what the client parsed.
        var recorded = Assert.Single(await _sim.Admin.GetRefundsAsync(order.Id));
        Assert.Equal((refund.Id, 250L, order.ChargeIds[0], "api"), (recorded.RefundId, recorded.Amount, recorded.Charge, recorded.Origin));
        Assert.Equal(requestId, recorded.RequestId);
    }

    // The simulator refuses any refund_mode/funding_source other than the documented strings, so acceptance proves the wire values.
    [Theory]
    [InlineData(OrderRefundMode.ToSource, RefundFundingSource.UnsettledFunds, "unsettled_funds")]
    [InlineData(OrderRefundMode.ToBalance, RefundFundingSource.RechargeFunds, "recharge_funds")]
    public async Task Create_sends_refund_mode_and_funding_source_as_ping_plus_plus_spells_them(
        OrderRefundMode mode, RefundFundingSource fundingSource, string fundingSourceOnTheWire)
    {
        var order = await _sim.Admin.SeedOrderAsync(300);

        var created = await _sim.CreateClient().CreateOrderRefundAsync(order.Id, Refund() with { RefundMode = mode, FundingSource = fundingSource });

        var refund = Assert.Single(created.Data);
        Assert.Equal(300, refund.Amount);
        Assert.Equal(fundingSourceOnTheWire, refund.FundingSource);
    }

    [Fact]
    public async Task Create_without_charge_refunds_every_charge_of_the_order()
    {
        var order = await _sim.Admin.SeedOrderAsync(1000, [600, 400]);
        var requestId = NewRequestId();

        var created = await _sim.CreateClient().CreateOrderRefundAsync(order.Id, Refund(requestId: requestId));

        Assert.Equal(2, created.Data.Count);
        Assert.Equal(
            new[] { (order.ChargeIds[0], 600L), (order.ChargeIds[1], 400L) },
            created.Data.Select(r => (r.Charge!, r.Amount)).OrderByDescending(x => x.Item2).ToList());
        Assert.All(created.Data, r => Assert.Equal(requestId, r.RequestId));
        Assert.Equal(created.Data.Select(r => r.Id).Order(), (await _sim.Admin.GetRefundsAsync(order.Id)).Select(r => r.RefundId).Order());
    }

    [Fact]
    public async Task Retrieve_returns_the_created_refund_and_its_settled_status()
    {
        var order = await _sim.Admin.SeedOrderAsync(500);
        var client = _sim.CreateClient();
        var requestId = NewRequestId();
        var created = Assert.Single((await client.CreateOrderRefundAsync(order.Id, Refund(order.ChargeIds[0], 120, requestId))).Data);

        var pending = await client.RetrieveOrderRefundAsync(order.Id, created.Id);
        await _sim.Admin.SettleAsync(order.Id);
        var settled = await client.RetrieveOrderRefundAsync(order.Id, created.Id);

        Assert.Equal((created.Id, 120L, requestId, PingppRefundStatus.Pending), (pending.Id, pending.Amount, pending.RequestId, pending.Status));
        Assert.Null(pending.TimeSucceed);
        Assert.Equal(PingppRefundStatus.Succeeded, settled.Status);
        Assert.True(settled.Succeed);
        Assert.NotNull(settled.TimeSucceed);
        Assert.False(string.IsNullOrEmpty(settled.TransactionNo));
    }

    [Fact]
    public async Task List_pages_newest_first_and_says_when_more_remain()
    {
        var order = await _sim.Admin.SeedOrderAsync(1000);
        var client = _sim.CreateClient();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(Assert.Single((await client.CreateOrderRefundAsync(order.Id, Refund(order.ChargeIds[0], 100))).Data).Id);
        }

        var first = await client.ListOrderRefundsAsync(order.Id, page: 1, perPage: 2);
        var second = await client.ListOrderRefundsAsync(order.Id, page: 2, perPage: 2);
        var beyond = await client.ListOrderRefundsAsync(order.Id, page: 3, perPage: 2);

        Assert.True(first.HasMore);
        Assert.Equal(new[] { ids[2], ids[1] }, first.Data.Select(r => r.Id));
        Assert.False(second.HasMore);
        Assert.Equal(new[] { ids[0] }, second.Data.Select(r => r.Id));
        Assert.Empty(beyond.Data);
        Assert.False(beyond.HasMore);
    }

    [Fact]
    public async Task List_all_walks_every_page_of_more_than_twenty_refunds()
    {
        const int count = 23;
        var order = await _sim.Admin.SeedOrderAsync(count * 10);
        var client = _sim.CreateClient();
        var requestIds = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var requestId = NewRequestId();
            requestIds.Add(requestId);
            await client.CreateOrderRefundAsync(order.Id, Refund(order.ChargeIds[0], 10, requestId));
        }

        var firstPage = await client.ListOrderRefundsAsync(order.Id);
        var all = await client.ListAllOrderRefundsAsync(order.Id);

        Assert.Equal(20, firstPage.Data.Count);
        Assert.True(firstPage.HasMore);
        Assert.Equal(count, all.Count);
        Assert.Equal(requestIds.Order(), all.Select(r => r.RequestId!).Order());
        Assert.Equal((await _sim.Admin.GetRefundsAsync(order.Id)).Select(r => r.RefundId).Order(), all.Select(r => r.Id).Order());
    }

    [Fact]
    public async Task Retrieve_order_counts_only_settled_refunds_as_refunded()
    {
        var order = await _sim.Admin.SeedOrderAsync(1000, [600, 400]);
        var client = _sim.CreateClient();
        await client.CreateOrderRefundAsync(order.Id, Refund(order.ChargeIds[0], 250));

        var beforeSettling = await client.RetrieveOrderAsync(order.Id);
        await _sim.Admin.SettleAsync(order.Id);
        var partly = await client.RetrieveOrderAsync(order.Id);
        await client.CreateOrderRefundAsync(order.Id, Refund());
        await _sim.Admin.SettleAsync(order.Id);
        var fully = await client.RetrieveOrderAsync(order.Id);

        Assert.Equal((order.Id, 1000L, 1000L, 0L, true, "paid"),
            (beforeSettling.Id, beforeSettling.AmountPaid, beforeSettling.ActualAmount, beforeSettling.AmountRefunded, beforeSettling.Refunded, beforeSettling.Status));
        Assert.Equal(2, beforeSettling.Charges!.Data.Count);
        Assert.Equal(250, partly.AmountRefunded);
        Assert.Equal(250, partly.Charges!.Data.Single(c => c.Id == order.ChargeIds[0]).AmountRefunded);
        Assert.Equal("refunded", partly.Status); // as Ping++ does: status turns refunded after any settled refund (issue 21, point 12)
        Assert.Equal(1000, fully.AmountRefunded);
        Assert.Equal("refunded", fully.Status);
    }

    [Fact]
    public async Task Retrieve_shows_a_refund_the_channel_failed_with_its_reason()
    {
        var order = await _sim.Admin.SeedOrderAsync(800, status: "canceled", refundFailure: new SimulatedRefundFailure("REFUND_DECLINED", "渠道拒绝退款"));
        var client = _sim.CreateClient();
        var created = Assert.Single((await client.CreateOrderRefundAsync(order.Id, Refund())).Data);

        await _sim.Admin.SettleAsync(order.Id);
        var failed = await client.RetrieveOrderRefundAsync(order.Id, created.Id);
        var orderAfter = await client.RetrieveOrderAsync(order.Id);

        Assert.Equal(PingppRefundStatus.Failed, failed.Status);
        Assert.False(failed.Succeed);
        Assert.Equal(("REFUND_DECLINED", "渠道拒绝退款"), (failed.FailureCode, failed.FailureMsg));
        Assert.Equal(("canceled", 0L, true), (orderAfter.Status, orderAfter.AmountRefunded, orderAfter.Refunded));
    }
}
