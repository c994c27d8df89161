using System.Globalization;
using Refunds.Core.Anomalies;

namespace Refunds.IntegrationTests.Anomalies;

/// <summary>
/// The merchant-order record that anomaly detection keeps (which Ping++ order a merchant order number is, and which
/// charges it had), written by concurrent webhook deliveries on real Azurite: ETag-conditional, nothing lost.
/// </summary>
public sealed class MerchantOrderRecordTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private const string OrderId = "2011708070000007521";
    private readonly string _table = Azurite.UniqueTable("ano");
    private readonly string _merchantOrderNo = "m" + Guid.NewGuid().ToString("N")[..20];

    private AnomalyStore Store() => new(Azurite.Tables(), TimeProvider.System, _table);

    private static string Charge(int n) => "ch_" + n.ToString("D24", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Concurrent_order_events_merging_their_charges_lose_none()
    {
        var charges = Enumerable.Range(0, 16).Select(Charge).ToList();

        // One store per writer, as separate webhook deliveries on separate instances would be.
        await Task.WhenAll(charges.Select(c => Store().RememberOrderAsync(_merchantOrderNo, OrderId, [c], None)));

        var record = await Store().FindMerchantOrderAsync(_merchantOrderNo, None);
        Assert.Equal(OrderId, record!.OrderId);
        Assert.Equal(charges, record.ChargeIds.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Charges_announced_concurrently_with_and_before_the_order_event_are_all_kept()
    {
        var early = Enumerable.Range(0, 8).Select(Charge).ToList();
        var inEvent = Enumerable.Range(8, 4).Select(Charge).ToList();

        var writes = new List<Task>(early.Select(c => (Task)Store().RememberChargeAsync(_merchantOrderNo, c, None)))
        {
            Store().RememberOrderAsync(_merchantOrderNo, OrderId, inEvent, None),
        };
        await Task.WhenAll(writes);

        var record = await Store().FindMerchantOrderAsync(_merchantOrderNo, None);
        Assert.Equal(OrderId, record!.OrderId);
        // Whether a charge came before or after the order event, it is kept: known to the order, or still waiting for it.
        Assert.Equal(early.Concat(inEvent).Order(StringComparer.Ordinal), record.ChargeIds.Concat(record.ChargesWithoutOrder).Order(StringComparer.Ordinal));
        Assert.Empty(record.ChargesWithoutOrder);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Azurite.Tables().DeleteTableAsync(_table);
}
