using Microsoft.Extensions.Options;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;

namespace Refunds.Core.Refunds;

/// <summary>
/// Ping++'s own list of an order's refunds, as far as this look-up read it. <see cref="HasMore"/> is Ping++'s; when
/// the page bound stopped the walk, <see cref="StoppedEarly"/> is true and <see cref="StoppedReason"/> says where.
/// </summary>
public sealed record PingppLiveRefundList
{
    public string Object { get; init; } = "list";
    public required string Url { get; init; }
    public required bool HasMore { get; init; }
    public required IReadOnlyList<PingppRefund> Data { get; init; }

    /// <summary>The Ping++ list calls this look-up made.</summary>
    public required int PagesRead { get; init; }

    public bool StoppedEarly { get; init; }
    public string? StoppedReason { get; init; }
}

/// <summary>
/// The live view: what Ping++ itself says about an order's refunds. An operator action (each look-up costs Ping++
/// calls), served on the admin routes; the refund API's own view reads only the ledger (<see cref="RefundQueries"/>).
/// A list look-up reads at most <see cref="PingppLiveViewOptions.MaxPages"/> pages. Ping++ failures surface as
/// <see cref="PingppException"/> for the caller to answer.
/// </summary>
public sealed class PingppLiveView(PingppClient pingpp, IRefundLedger ledger, IOptions<PingppLiveViewOptions> options)
{
    private readonly int _maxPages = options.Value.MaxPages;

    /// <summary>The order's refunds at Ping++, newest first, as far as the page bound.</summary>
    public async Task<RefundLookup> ListOrderRefundsAsync(string orderId, CancellationToken cancellationToken)
        => RefundQueries.IsLookupId(orderId)
            ? RefundLookup.Found(await ReadPagesAsync(orderId, _ => true, cancellationToken).ConfigureAwait(false))
            : RefundLookup.NotFound("Unknown order id.");

    /// <summary>
    /// One refund as Ping++ has it (by its <c>re_</c> id), or the refunds Ping++ holds for one of our requests (by its
    /// request id, which must be a request of this order in the ledger: Ping++ knows refunds, not our requests).
    /// </summary>
    public async Task<RefundLookup> GetAsync(string orderId, string id, CancellationToken cancellationToken)
    {
        if (!RefundQueries.IsLookupId(orderId, id))
        {
            return RefundLookup.NotFound("Unknown order or refund id.");
        }

        if (RefundQueries.IsRefundId(id))
        {
            return RefundLookup.Found(await pingpp.RetrieveOrderRefundAsync(orderId, id, cancellationToken).ConfigureAwait(false));
        }

        var stored = await ledger.GetRequestAsync(id, cancellationToken).ConfigureAwait(false);
        if (stored is null || stored.OrderId != orderId)
        {
            return RefundLookup.NotFound("Unknown refund request id.");
        }

        return RefundLookup.Found(await ReadPagesAsync(orderId, r => r.RequestId == id, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Pages of the order's refunds while Ping++ says <c>has_more</c>, at most the bound. A refund created while paging
    /// shifts the newest-first list, so an id may appear twice: it is kept once.
    /// </summary>
    private async Task<PingppLiveRefundList> ReadPagesAsync(string orderId, Func<PingppRefund, bool> keep, CancellationToken cancellationToken)
    {
        var kept = new List<PingppRefund>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var url = $"/v1/orders/{orderId}/order_refunds";
        for (var page = 1; ; page++)
        {
            var list = await pingpp.ListOrderRefundsAsync(orderId, page, cancellationToken: cancellationToken).ConfigureAwait(false);
            kept.AddRange(list.Data.Where(r => seen.Add(r.Id) && keep(r)));
            if (!list.HasMore || list.Data.Count == 0)
            {
                return new PingppLiveRefundList { Url = url, HasMore = false, Data = kept, PagesRead = page };
            }

            if (page >= _maxPages)
            {
                return new PingppLiveRefundList
                {
                    Url = url,
                    HasMore = true,
                    Data = kept,
                    PagesRead = page,
                    StoppedEarly = true,
                    StoppedReason = $"stopped after {page} pages of Ping++'s list ({PingppLiveViewOptions.SectionName}__{nameof(PingppLiveViewOptions.MaxPages)}); Ping++ has more refunds for this order",
                };
            }
        }
    }
}
