using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Pingpp.Simulator.Api;
using Pingpp.Simulator.Faults;
using Pingpp.Simulator.Webhooks;

namespace Pingpp.Simulator.State;

/// <summary>A charge to seed: its amount, channel and, optionally, a fixed id.</summary>
public sealed record SeededCharge(long Amount, string Channel, string? Id = null);

/// <summary>The simulated Ping++ account: orders, charges and refunds behind one lock.</summary>
public sealed partial class SimulatorLedger(
    IOptions<SimulatorOptions> options, TimeProvider time, WebhookOutbox outbox, FaultInjector faults, ILogger<SimulatorLedger> logger)
{
    private readonly SimulatorOptions _options = options.Value;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SimOrder> _orders = [];
    private readonly List<SimRefund> _refunds = [];
    private long _sequence;

    /// <param name="orderId">A fixed id (README examples), else a new one.</param>
    /// <returns>The order, or null when <paramref name="orderId"/> or a fixed charge id is taken.</returns>
    /// <param name="created">When the order was created (an order from the past, for list windows); default now.</param>
    public JsonObject? SeedOrder(long amount, IReadOnlyList<SeededCharge> charges, string status, RefundFailure? refundFailure, string? orderId = null, DateTimeOffset? created = null)
    {
        var now = created ?? time.GetUtcNow();
        orderId ??= PingppIds.Order();
        var simCharges = charges.Select(c => new SimCharge(c.Id ?? PingppIds.Charge(), orderId, c.Channel, c.Amount, now)).ToList();
        var order = new SimOrder(orderId, amount, status, now, simCharges) { RefundFailure = refundFailure, Sequence = Interlocked.Increment(ref _sequence) };
        lock (_gate)
        {
            if (_orders.ContainsKey(orderId) || simCharges.Any(c => _orders.Values.Any(o => o.Charges.Any(x => x.Id == c.Id))))
            {
                return null;
            }

            _orders.Add(orderId, order);
            var json = OrderJson(order);
            // The app's abnormal-payment check listens to these.
            outbox.Publish("order.succeeded", orderId, OrderJson(order));
            foreach (var charge in simCharges)
            {
                outbox.Publish("charge.succeeded", charge.Id, ExpandAppIfFaulted(charge.ToJson(order, _options.Livemode, _options.AppId), order.Id));
            }
            return json;
        }
    }

    /// <summary>
    /// A further payment of an existing order (the payer paid again): one more paid charge, announced by
    /// <c>charge.succeeded</c> only. Null when the order is unknown or the charge id is taken.
    /// </summary>
    public JsonObject? PayAgain(string orderId, SeededCharge seeded)
    {
        lock (_gate)
        {
            var chargeId = seeded.Id ?? PingppIds.Charge();
            if (!_orders.TryGetValue(orderId, out var order) || _orders.Values.Any(o => o.Charges.Any(x => x.Id == chargeId)))
            {
                return null;
            }

            var charge = new SimCharge(chargeId, orderId, seeded.Channel, seeded.Amount, time.GetUtcNow());
            order.AddCharge(charge);
            outbox.Publish("charge.succeeded", charge.Id, ExpandAppIfFaulted(charge.ToJson(order, _options.Livemode, _options.AppId), order.Id));
            return OrderJson(order);
        }
    }

    /// <summary>The order turns <c>canceled</c> whatever it was paid (a payment that raced the cancellation); null when unknown.</summary>
    public JsonObject? Cancel(string orderId)
    {
        lock (_gate)
        {
            if (!_orders.TryGetValue(orderId, out var order))
            {
                return null;
            }

            order.Status = "canceled";
            return OrderJson(order);
        }
    }

    public bool OrderExists(string orderId)
    {
        lock (_gate) return _orders.ContainsKey(orderId);
    }

    public JsonObject? OrderJson(string orderId)
    {
        lock (_gate) return _orders.TryGetValue(orderId, out var order) ? OrderJson(order) : null;
    }

    /// <summary>Records one pending refund per refunded charge, or explains why not.</summary>
    public (JsonArray? Refunds, PingppApiError? Error) CreateRefunds(string orderId, RefundCreateRequest request, string origin)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (!_orders.TryGetValue(orderId, out var order))
            {
                return (null, PingppApiError.NotFound($"无法找到对应的订单: {orderId} (no such order)", "id"));
            }
            var plan = new List<(SimCharge Charge, long Amount)>();
            if (request.Charge is { } chargeId)
            {
                var charge = order.Charges.FirstOrDefault(c => c.Id == chargeId);
                if (charge is null)
                {
                    return (null, PingppApiError.BadParam("charge", $"订单 {orderId} 中不存在 charge: {chargeId} (no such charge in this order)", "resource_missing"));
                }
                var amount = request.ChargeAmount ?? charge.Refundable;
                if (charge.Refundable <= 0)
                {
                    return (null, PingppApiError.BadParam("charge", "该 charge 已全额退款 (charge already fully refunded)", "charge_refunded"));
                }
                if (amount > charge.Refundable)
                {
                    return (null, PingppApiError.BadParam("charge_amount",
                        $"退款金额超过可退金额 {charge.Refundable} (refund amount exceeds the refundable amount)", "refund_amount_exceeded"));
                }
                plan.Add((charge, amount));
            }
            else
            {
                plan.AddRange(order.Charges.Where(c => c.Refundable > 0).Select(c => (c, c.Refundable)));
                if (plan.Count == 0)
                {
                    return (null, new PingppApiError(400, PingppApiError.InvalidRequest, "订单已全额退款 (order already fully refunded)", "order_refunded"));
                }
            }

            var data = new JsonArray();
            var sync = faults.Trigger(FaultInjector.SyncRefund, orderId);
            var channelUrl = faults.Trigger(FaultInjector.ChannelUrl, orderId);
            foreach (var (charge, amount) in plan)
            {
                var planned = order.RefundFailure
                    ?? (faults.Trigger(FaultInjector.RefundFailure, orderId) is { } f
                        ? new RefundFailure(f.FailureCode ?? "REFUND_FAILED", f.FailureMsg ?? "渠道退款失败 (simulated channel failure)")
                        : null);
                var refund = new SimRefund
                {
                    Id = PingppIds.Refund(), OrderId = orderId, ChargeId = charge.Id, ChargeOrderNo = order.MerchantOrderNo,
                    Amount = amount, Created = now, Description = request.Description, Metadata = (JsonObject)request.Metadata.DeepClone(),
                    FundingSource = request.FundingSource, RefundMode = request.RefundMode, Origin = origin,
                    SettleAt = now + _options.SettleDelay, PlannedFailure = planned,
                    ChannelUrl = channelUrl is null ? null : $"https://mapi.alipay.com/gateway.do?service=refund_fastpay_by_platform_pwd&batch_no={now:yyyyMMdd}{PingppIds.Digits(8)}",
                };
                charge.AmountReserved += amount;
                order.Refunded = true;
                _refunds.Add(refund);
                if (sync is not null)
                {
                    SettleOne(refund, sync.FailureCode is { } code ? new RefundFailure(code, sync.FailureMsg ?? "渠道退款失败 (simulated synchronous failure)") : null, now);
                }

                data.Add(Answer(refund));
                LogRefundCreated(orderId, refund.Id, charge.Id, amount, origin);
            }
            return (data, null);
        }
    }

    /// <summary>A refund as Ping++ shows it, with the metadata stripped while the <c>strip_metadata</c> fault is on.</summary>
    private JsonObject Answer(SimRefund refund)
    {
        var json = refund.ToJson(faults.Trigger(FaultInjector.StripMetadata, refund.OrderId) is not null);
        if (faults.Trigger(FaultInjector.PhpEmptyMetadata, refund.OrderId) is not null)
        {
            json["metadata"] = new JsonArray();
            if (json["extra"] is JsonObject { Count: 0 }) json["extra"] = new JsonArray();
        }
        return json;
    }

    public JsonObject? RefundJson(string orderId, string refundId)
    {
        lock (_gate) return _refunds.FirstOrDefault(r => r.Id == refundId && r.OrderId == orderId) is { } refund ? Answer(refund) : null;
    }

    /// <summary>Newest first; null when the order is unknown.</summary>
    public JsonObject? ListRefunds(string orderId, int page, int perPage)
    {
        lock (_gate)
        {
            if (!_orders.ContainsKey(orderId)) return null;
            var all = _refunds.Where(r => r.OrderId == orderId).Reverse().ToList();
            var data = new JsonArray();
            foreach (var refund in all.Skip((page - 1) * perPage).Take(perPage)) data.Add(Answer(refund));
            return PingppJson.List($"/v1/orders/{orderId}/order_refunds", data, hasMore: (long)page * perPage < all.Count);
        }
    }

    public int RefundCount
    {
        get
        {
            lock (_gate)
            {
                return _refunds.Count;
            }
        }
    }

    public JsonArray AdminRefunds()
    {
        lock (_gate)
        {
            var data = new JsonArray();
            foreach (var refund in _refunds) data.Add(refund.ToAdminJson());
            return data;
        }
    }

    /// <summary>Settles one pending refund now (caller holds the lock): failed with <paramref name="failure"/>, else succeeded.</summary>
    private void SettleOne(SimRefund refund, RefundFailure? failure, DateTimeOffset now)
    {
        var order = _orders[refund.OrderId];
        var charge = order.Charges.First(c => c.Id == refund.ChargeId);
        if (failure is not null)
        {
            refund.Status = "failed";
            refund.FailureCode = failure.FailureCode;
            refund.FailureMsg = failure.FailureMsg;
            charge.AmountReserved -= refund.Amount;
            LogRefundFailed(refund.OrderId, refund.Id, failure.FailureCode);
            return; // Ping++ sends no webhook for failed refunds.
        }
        refund.Status = "succeeded";
        refund.TimeSucceed = now;
        refund.TransactionNo = PingppIds.Digits(28);
        charge.AmountRefunded += refund.Amount;
        order.Status = "refunded"; // Ping++: "存在退款", whatever the order was (canceled included)
        LogRefundSucceeded(refund.OrderId, refund.Id);
        outbox.Publish("refund.succeeded", refund.Id, Answer(refund));
        if (order.FullyRefunded && !order.OrderRefundedEventSent)
        {
            order.OrderRefundedEventSent = true;
            outbox.Publish("order.refunded", order.Id, OrderJson(order));
        }
    }

    /// <summary>An order as Ping++ shows it, with <c>app</c> expanded while the <c>expand_app</c> fault is on.</summary>
    private JsonObject OrderJson(SimOrder order)
    {
        var json = order.ToJson(_options.Livemode, _options.AppId);
        if (faults.Trigger(FaultInjector.ExpandApp, order.Id) is not null)
        {
            json["app"] = AppObject();
            foreach (var charge in json["charges"]!["data"]!.AsArray())
            {
                charge!["app"] = AppObject();
            }
        }
        return json;
    }

    private JsonObject ExpandAppIfFaulted(JsonObject charge, string orderId)
    {
        if (faults.Trigger(FaultInjector.ExpandApp, orderId) is not null) charge["app"] = AppObject();
        return charge;
    }

    private JsonObject AppObject() => new() { ["id"] = _options.AppId, ["object"] = "app", ["name"] = "Simulated app" };

    /// <summary>Settles pending refunds that are due (or all of them, or all of one order's, when forced).</summary>
    public int Settle(bool force, string? orderId = null)
    {
        var now = time.GetUtcNow();
        var settled = 0;
        lock (_gate)
        {
            foreach (var refund in _refunds.Where(r => r.Status == "pending" && (force || r.SettleAt <= now) && (orderId is null || r.OrderId == orderId)).ToList())
            {
                settled++;
                SettleOne(refund, refund.PlannedFailure, now);
            }
        }
        return settled;
    }

    [LoggerMessage(1, LogLevel.Information, "Refund {RefundId} created for order {OrderId}, charge {ChargeId}, amount {Amount} ({Origin})")]
    private partial void LogRefundCreated(string orderId, string refundId, string chargeId, long amount, string origin);

    [LoggerMessage(2, LogLevel.Information, "Refund {RefundId} of order {OrderId} succeeded")]
    private partial void LogRefundSucceeded(string orderId, string refundId);

    [LoggerMessage(3, LogLevel.Information, "Refund {RefundId} of order {OrderId} failed with {FailureCode}")]
    private partial void LogRefundFailed(string orderId, string refundId, string failureCode);
}
