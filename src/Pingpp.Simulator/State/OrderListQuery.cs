namespace Pingpp.Simulator.State;

/// <summary>
/// <c>GET /v1/orders</c>'s filters as Ping++ documents them: <c>paid</c>, <c>refunded</c>, <c>created[gt|gte|lt|lte]</c>
/// (Unix seconds), <c>page</c> and <c>per_page</c>. Null means the filter is not given.
/// </summary>
public sealed record OrderListQuery(int Page, int PerPage)
{
    public bool? Paid { get; init; }
    public bool? Refunded { get; init; }
    public long? CreatedGt { get; init; }
    public long? CreatedGte { get; init; }
    public long? CreatedLt { get; init; }
    public long? CreatedLte { get; init; }

    public bool Matches(long created, bool paid, bool refunded)
        => (Paid is null || Paid == paid)
           && (Refunded is null || Refunded == refunded)
           && (CreatedGt is null || created > CreatedGt)
           && (CreatedGte is null || created >= CreatedGte)
           && (CreatedLt is null || created < CreatedLt)
           && (CreatedLte is null || created <= CreatedLte);
}
