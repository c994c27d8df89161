using System.Globalization;
using Microsoft.Extensions.Options;
using Pingpp.Simulator.State;

namespace Pingpp.Simulator.Api;

public static partial class OrderRefundsApi
{
    /// <summary>
    /// <c>GET /v1/orders?app=APP_ID&amp;page=&amp;per_page=&amp;paid=&amp;refunded=&amp;created[gte]=…</c>: <c>app</c> is
    /// required ("app 必填"), <c>page</c> 1~100000000, <c>per_page</c> 1~20, newest first (pingxx.com/api "查询 order 对象列表").
    /// </summary>
    private static IResult ListOrders(HttpRequest request, SimulatorLedger ledger, IOptions<SimulatorOptions> options)
    {
        if (!request.Query.TryGetValue("app", out var app) || app.Count != 1 || string.IsNullOrEmpty(app[0]))
        {
            return PingppApiError.BadParam("app", "app 参数缺失 (app is required)").ToResult();
        }

        if (!string.Equals(app[0], options.Value.AppId, StringComparison.Ordinal))
        {
            return PingppApiError.NotFound($"无法找到对应的应用: {app[0]} (no such app)", "app").ToResult();
        }

        if (!TryPagingParam(request, "page", 1, 1, 100_000_000, out var page, out var pageError)) return pageError!.ToResult();
        if (!TryPagingParam(request, "per_page", 10, 1, 20, out var perPage, out var perPageError)) return perPageError!.ToResult();
        var query = new OrderListQuery(page, perPage);
        foreach (var (name, apply) in BoolFilters)
        {
            if (!request.Query.TryGetValue(name, out var raw)) continue;
            if (raw.Count != 1 || raw[0] is not ("true" or "false"))
            {
                return PingppApiError.BadParam(name, $"{name} 只能为 true 或 false ({name} must be true or false)").ToResult();
            }

            query = apply(query, raw[0] == "true");
        }

        foreach (var (name, apply) in TimeFilters)
        {
            if (!request.Query.TryGetValue(name, out var raw)) continue;
            if (raw.Count != 1 || !long.TryParse(raw[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                return PingppApiError.BadParam(name, $"{name} 应为 Unix 时间戳 ({name} must be a Unix time in seconds)").ToResult();
            }

            query = apply(query, seconds);
        }

        return PingppJson.Result(ledger.ListOrders(query));
    }

    private static readonly (string Name, Func<OrderListQuery, bool, OrderListQuery> Apply)[] BoolFilters =
    [
        ("paid", (q, v) => q with { Paid = v }),
        ("refunded", (q, v) => q with { Refunded = v }),
    ];

    private static readonly (string Name, Func<OrderListQuery, long, OrderListQuery> Apply)[] TimeFilters =
    [
        ("created[gt]", (q, v) => q with { CreatedGt = v }),
        ("created[gte]", (q, v) => q with { CreatedGte = v }),
        ("created[lt]", (q, v) => q with { CreatedLt = v }),
        ("created[lte]", (q, v) => q with { CreatedLte = v }),
    ];
}
