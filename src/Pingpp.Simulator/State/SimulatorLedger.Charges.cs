using System.Text.Json.Nodes;
using Pingpp.Simulator.Api;

namespace Pingpp.Simulator.State;

public sealed partial class SimulatorLedger
{
    /// <summary>How many refunds a retrieved charge embeds (Ping++'s list default, <c>limit</c> 10), newest first.</summary>
    public const int ChargeRefundsShown = 10;

    /// <summary>
    /// <c>GET /v1/charges/{id}</c>: the charge as Ping++ shows it (the fields of the vectors' <c>charge.succeeded</c>
    /// objects), its <c>refunds</c> list embedded (first <see cref="ChargeRefundsShown"/>, <c>has_more</c> beyond).
    /// Like Ping++'s, it names the order only by the merchant's <c>order_no</c>, not by the Ping++ order id. Null when
    /// no order holds the charge.
    /// </summary>
    public JsonObject? ChargeJson(string chargeId)
    {
        lock (_gate)
        {
            foreach (var order in _orders.Values)
            {
                if (order.Charges.FirstOrDefault(c => c.Id == chargeId) is not { } charge)
                {
                    continue;
                }

                var json = charge.ToJson(order, _options.Livemode, _options.AppId);
                var refunds = _refunds.Where(r => r.ChargeId == chargeId).Reverse().ToList();
                var data = new JsonArray();
                foreach (var refund in refunds.Take(ChargeRefundsShown))
                {
                    data.Add(Answer(refund));
                }

                json["refunds"] = PingppJson.List($"/v1/charges/{chargeId}/refunds", data, hasMore: refunds.Count > ChargeRefundsShown);
                return json;
            }

            return null;
        }
    }
}
