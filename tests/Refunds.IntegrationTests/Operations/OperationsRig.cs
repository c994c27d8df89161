using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Refunds.Core.Ledger;
using Refunds.Core.Operations;
using Refunds.Core.Operations.Problems;

namespace Refunds.IntegrationTests.Operations;

/// <summary>
/// The operator services as the app wires them (<see cref="OperationsServiceCollectionExtensions.AddOperations"/>) on
/// Azurite, with tables of their own and a fake clock (requests created on chosen days).
/// </summary>
internal sealed class OperationsRig : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly ServiceProvider _services;

    public OperationsRig()
    {
        Tables = new Dictionary<string, string?>
        {
            ["Storage:RefundLedgerTable"] = Azurite.UniqueTable("opled"),
            ["Storage:ReconcileIndexTable"] = Azurite.UniqueTable("opidx"),
            ["Storage:RequestIndexTable"] = Azurite.UniqueTable("oprix"),
            ["Storage:ProblemReviewsTable"] = Azurite.UniqueTable("oprev"),
            ["Storage:DiscrepanciesTable"] = Azurite.UniqueTable("opdis"),
            ["Storage:AnomaliesTable"] = Azurite.UniqueTable("opano"),
            ["Storage:WebhookEventsTable"] = Azurite.UniqueTable("opevt"),
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Tables).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton(Service);
        services.AddOperations(configuration);
        _services = services.BuildServiceProvider();
    }

    public FakeTimeProvider Time { get; } = new(Start);

    public TableServiceClient Service { get; } = Azurite.Tables();

    public Dictionary<string, string?> Tables { get; }

    public IRefundLedger Ledger => _services.GetRequiredService<IRefundLedger>();

    public RequestIndex Index => _services.GetRequiredService<RequestIndex>();

    public RequestSearch Search => _services.GetRequiredService<RequestSearch>();

    public RequestCsvExport Export => _services.GetRequiredService<RequestCsvExport>();

    public DailyStats Stats => _services.GetRequiredService<DailyStats>();

    public ProblemsList Problems => _services.GetRequiredService<ProblemsList>();

    public TableClient IndexTable => Service.GetTableClient(Tables["Storage:RequestIndexTable"]);

    public string Table(string setting) => Tables["Storage:" + setting]!;

    /// <summary>Records a request at the clock's time.</summary>
    public async Task<RefundRequestRecord> CreateAsync(string requestId, string orderId, string charge, long amount, string? description = null)
    {
        var created = await Ledger.CreateRequestAsync(
            new RefundRequestRecord { RequestId = requestId, OrderId = orderId, Charge = charge, ChargeAmount = amount, Description = description ?? "退款 " + requestId },
            CancellationToken.None);
        Assert.True(created.Created);
        return created.Request;
    }

    /// <summary>Every page of a search, in order.</summary>
    public async Task<List<RefundRequestRecord>> SearchAllAsync(RequestSearchQuery query, int pageSize)
    {
        var all = new List<RefundRequestRecord>();
        string? continuation = null;
        var pages = 0;
        do
        {
            var page = await Search.SearchAsync(query, pageSize, continuation, CancellationToken.None);
            Assert.True(page.Items.Count <= pageSize);
            all.AddRange(page.Items);
            continuation = page.Continuation;
            Assert.True(++pages < 1000, "the search does not end");
        }
        while (continuation is not null);

        return all;
    }

    /// <summary>Every page of the problems list, in order.</summary>
    public async Task<List<Problem>> ProblemsAllAsync(ProblemsQuery query, int pageSize)
    {
        var all = new List<Problem>();
        string? continuation = null;
        var pages = 0;
        do
        {
            var page = await Problems.ReadAsync(query, pageSize, continuation, CancellationToken.None);
            Assert.True(page.Items.Count <= pageSize);
            all.AddRange(page.Items);
            continuation = page.Continuation;
            Assert.True(++pages < 1000, "the list does not end");
        }
        while (continuation is not null);

        return all;
    }

    public void Dispose() => _services.Dispose();
}
