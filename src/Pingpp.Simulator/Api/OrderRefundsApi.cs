using System.Globalization;
using Pingpp.Simulator.Faults;
using Pingpp.Simulator.State;

namespace Pingpp.Simulator.Api;

/// <summary>The Ping++ endpoints, at Ping++'s paths.</summary>
public static partial class OrderRefundsApi
{
    public static void MapPingppApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/orders/{orderId}/order_refunds", CreateAsync);
        app.MapGet("/v1/orders/{orderId}/order_refunds/{refundId}", (string orderId, string refundId, SimulatorLedger ledger) =>
            ledger.RefundJson(orderId, refundId) is { } refund
                ? PingppJson.Result(refund)
                : PingppApiError.NotFound($"无法找到对应的退款: {refundId} (no such refund in order {orderId})", "refund_id").ToResult());
        app.MapGet("/v1/orders/{orderId}/order_refunds", List);
        app.MapGet("/v1/orders", ListOrders);
        app.MapGet("/v1/orders/{orderId}", (string orderId, SimulatorLedger ledger) =>
            ledger.OrderJson(orderId) is { } order
                ? PingppJson.Result(order)
                : PingppApiError.NotFound($"无法找到对应的订单: {orderId} (no such order)", "id").ToResult());
        app.MapGet("/v1/charges/{chargeId}", (string chargeId, SimulatorLedger ledger) =>
            ledger.ChargeJson(chargeId) is { } charge
                ? PingppJson.Result(charge)
                : PingppApiError.NotFound($"无法找到对应的 Charge: {chargeId} (no such charge)", "id").ToResult());
        app.Map("/v1/{**rest}", () =>
            new PingppApiError(StatusCodes.Status404NotFound, PingppApiError.InvalidRequest, "未知的 API 路径 (unrecognized request URL)", "not_found").ToResult());
    }

    private static async Task<IResult> CreateAsync(
        string orderId, HttpContext context, SimulatorLedger ledger, FaultInjector faults, TimeProvider time, ILoggerFactory loggers)
    {
        var body = (byte[])context.Items[PingppApiGate.RawBodyItem]!;
        if (RefundCreateRequest.TryParse(body, out var request) is { } invalid)
        {
            return ledger.OrderExists(orderId) || invalid.Code == "invalid_json"
                ? invalid.ToResult()
                : PingppApiError.NotFound($"无法找到对应的订单: {orderId} (no such order)", "id").ToResult();
        }
        if (!ledger.OrderExists(orderId))
        {
            return PingppApiError.NotFound($"无法找到对应的订单: {orderId} (no such order)", "id").ToResult();
        }
        if (faults.Trigger(FaultInjector.ErrorBeforeCreate, orderId) is { } before)
        {
            return ServerError(before);
        }

        var channel = faults.Trigger(FaultInjector.ChannelError, orderId);
        if (channel is { Performed: false })
        {
            return ChannelError(channel);
        }

        var (refunds, error) = ledger.CreateRefunds(orderId, request!, origin: "api");
        if (error is not null) return error.ToResult();
        if (channel is not null)
        {
            return ChannelError(channel);
        }

        var logger = loggers.CreateLogger(typeof(OrderRefundsApi));
        if (faults.Trigger(FaultInjector.ErrorAfterCreate, orderId) is { } after)
        {
            LogFault(logger, FaultInjector.ErrorAfterCreate, orderId);
            return ServerError(after);
        }
        if (faults.Trigger(FaultInjector.HangAfterCreate, orderId) is { } hang)
        {
            LogFault(logger, FaultInjector.HangAfterCreate, orderId);
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(hang.HangMs ?? 30_000), time, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client gave up first: exactly the lost response being simulated.
            }
            context.Abort();
            return Results.Empty;
        }
        return PingppJson.Result(PingppJson.List($"/v1/orders/{orderId}/order_refunds", refunds!));
    }

    private static IResult List(string orderId, HttpRequest request, SimulatorLedger ledger)
    {
        if (!TryPagingParam(request, "page", 1, 1, 100_000_000, out var page, out var pageError)) return pageError!.ToResult();
        if (!TryPagingParam(request, "per_page", 10, 1, 20, out var perPage, out var perPageError)) return perPageError!.ToResult();
        return ledger.ListRefunds(orderId, page, perPage) is { } list
            ? PingppJson.Result(list)
            : PingppApiError.NotFound($"无法找到对应的订单: {orderId} (no such order)", "id").ToResult();
    }

    private static bool TryPagingParam(HttpRequest request, string name, int fallback, int min, int max, out int value, out PingppApiError? error)
    {
        error = null;
        value = fallback;
        if (!request.Query.TryGetValue(name, out var raw)) return true;
        if (raw.Count == 1 && int.TryParse(raw[0], NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max)
        {
            return true;
        }
        error = PingppApiError.BadParam(name, $"{name} 取值范围为 {min}~{max} ({name} must be an integer within {min}..{max})");
        return false;
    }

    private static IResult ChannelError(FaultSpec fault) =>
        new PingppApiError(StatusCodes.Status402PaymentRequired, PingppApiError.ChannelError,
            fault.FailureMsg ?? "渠道拒绝退款 (the channel refused the refund)", fault.FailureCode ?? "channel_refund_rejected").ToResult();

    private static IResult ServerError(FaultSpec fault) =>
        new PingppApiError(fault.Status ?? StatusCodes.Status500InternalServerError, PingppApiError.ApiError,
            "服务器内部错误 (simulated server error)", "internal_error").ToResult();

    [LoggerMessage(30, LogLevel.Information, "Fault {Fault} injected for order {OrderId}")]
    private static partial void LogFault(ILogger logger, string fault, string orderId);
}
