using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Refunds.Core.Ledger;
using Refunds.Core.Operations;
using Refunds.Core.Pingpp;

namespace Refunds.IntegrationTests.Operations;

/// <summary>
/// A ledger on unique Azurite tables with the approval gate as the app wires it (<see cref="ApprovalGate"/>, its daily
/// total in the ledger's table), on a fake clock. <paramref name="pingpp"/> serves the amount of whole-order refunds.
/// </summary>
internal sealed class ApprovalLedger
{
    /// <param name="shareWith">Another instance whose tables and clock this one uses (a second host of the same app).</param>
    public ApprovalLedger(long perRequest, long perDay, Refunds.Core.Pingpp.PingppClient? pingpp = null, ApprovalLedger? shareWith = null)
    {
        Time = shareWith?.Time ?? new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 8, 0, 0, TimeSpan.Zero));
        var tables = Azurite.Tables();
        var ledgerTable = LedgerTableName = shareWith?.LedgerTableName ?? Azurite.UniqueTable("apled");
        IndexTableName = shareWith?.IndexTableName ?? Azurite.UniqueTable("apidx");
        Counter = new DailyApprovalCounter(tables, ledgerTable);
        var services = new ServiceCollection();
        if (pingpp is not null)
        {
            services.AddSingleton(pingpp);
        }

        var gate = new ApprovalGate(
            Options.Create(new ApprovalOptions { MaxAmountPerRequest = perRequest, MaxAmountPerDay = perDay }),
            Counter,
            new RefundAmountResolver(services.BuildServiceProvider().GetRequiredService<IServiceScopeFactory>(), NullLogger<RefundAmountResolver>.Instance),
            Time);
        Ledger = new RefundLedger(tables, Time, NullLogger<RefundLedger>.Instance, ledgerTable, IndexTableName, admission: gate);
    }

    public FakeTimeProvider Time { get; }

    public string LedgerTableName { get; }

    public string IndexTableName { get; }

    public RefundLedger Ledger { get; }

    public DailyApprovalCounter Counter { get; }

    public DateOnly Today => DateOnly.FromDateTime(Time.GetUtcNow().UtcDateTime);

    public static RefundRequestRecord Request(string requestId, string orderId, long? amount, string? charge = "ch_1") => new()
    {
        RequestId = requestId,
        OrderId = orderId,
        Description = "退款 " + requestId,
        Charge = charge,
        ChargeAmount = amount,
        Fingerprint = "fp-" + requestId,
    };

    /// <summary>The orders the open-work index lists (one page is plenty for a test's tables).</summary>
    public async Task<IReadOnlyList<string?>> OpenOrdersAsync()
        => [.. (await Ledger.ListOpenWorkAsync(1000, null, CancellationToken.None)).Items.Select(i => i.OrderId)];
}
