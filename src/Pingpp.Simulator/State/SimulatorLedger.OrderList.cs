using System.Text.Json.Nodes;
using Pingpp.Simulator.Api;

namespace Pingpp.Simulator.State;

public sealed partial class SimulatorLedger
{
    /// <summary>The account's orders, newest first (by creation time), filtered and paged as Ping++ lists them.</summary>
    public JsonObject ListOrders(OrderListQuery query)
    {
        lock (_gate)
        {
            var matching = _orders.Values
                .Select(order => (Order: order, Json: OrderJson(order)))
                .Where(o => query.Matches(o.Order.Created.ToUnixTimeSeconds(), (bool)o.Json["paid"]!, (bool)o.Json["refunded"]!))
                .OrderByDescending(o => o.Order.Created)
                .ThenByDescending(o => o.Order.Sequence)
                .ToList();
            var data = new JsonArray();
            foreach (var (_, json) in matching.Skip((query.Page - 1) * query.PerPage).Take(query.PerPage))
            {
                data.Add(json);
            }

            return PingppJson.List("/v1/orders", data, hasMore: (long)query.Page * query.PerPage < matching.Count);
        }
    }
}
