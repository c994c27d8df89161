using Refunds.Core.Storage;
using Refunds.Core.Webhooks;

namespace Refunds.Core.Operations.Problems;

/// <summary>
/// Verified webhook events stored but not applied (apply status <c>pending</c>; refused ones are <c>ignored</c>) for
/// longer than <see cref="Grace"/>: a delivery applies its event within the request, so older ones were left by a
/// failure. Served by the event store's time index (one range query per hash partition over the window, filtered on
/// the status: never a scan of the whole table). Events stored before the time index existed have no index row and are
/// not listed until a redelivery or a re-apply writes one.
/// </summary>
public sealed class UnappliedWebhookProblemSource(WebhookEventStore events) : ScannedProblemSource
{
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(5);

    /// <summary>Bounds one read of the window.</summary>
    private const int MaxItems = 10_000;
    private const int PageSize = 500;

    public override string Kind => ProblemKinds.UnappliedWebhook;

    protected override async Task<IReadOnlyList<Problem>> LoadAsync(ProblemWindow window, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(window);
        var until = window.Now - Grace < window.Until ? window.Now - Grace : window.Until;
        var items = new List<Problem>();
        string? continuation = null;
        do
        {
            var page = await events.ListAsync(new WebhookEventQuery(null, WebhookApplyStatus.Pending, window.Since, until, PageSize, continuation), ct).ConfigureAwait(false);
            items.AddRange(page.Items.Select(ToProblem));
            continuation = page.Continuation;
        }
        while (continuation is not null && items.Count < MaxItems);

        return items;
    }

    public override async Task<Problem?> FindAsync(string id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (TableKeys.IdProblem(id) is not null || await events.GetAsync(id, ct).ConfigureAwait(false) is not { Applied: false, RefusedReason: null } stored)
        {
            return null;
        }

        return ToProblem(new WebhookEventEntry(stored.EventId, stored.Type, 0, stored.ReceivedAt, WebhookApplyStatus.Pending, null, null, stored.OrderId, stored.RefundId));
    }

    private static Problem ToProblem(WebhookEventEntry e) => new()
    {
        Kind = ProblemKinds.UnappliedWebhook,
        Id = e.EventId,
        EventId = e.EventId,
        OrderId = e.OrderId,
        RefundId = e.RefundId,
        Summary = $"{e.Type} event {e.EventId} was verified and stored but not applied",
        Since = e.ReceivedAt,
        State = "pending",
        Actions = [ProblemKinds.Reapply, ProblemKinds.Review],
        Details = new Dictionary<string, object?> { ["type"] = e.Type },
    };
}
