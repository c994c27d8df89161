using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;

namespace Refunds.IntegrationTests;

/// <summary>
/// What the ledger reads: an order by point reads guided by its members row, never by a partition query (which scans
/// the whole table on Azurite, so a read would grow with the history of every other order); and nothing it already
/// knows from its own last write.
/// </summary>
public class RefundLedgerReadTests
{
    private const string Order = "2011609290000000901";
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 28, 8, 0, 0, TimeSpan.Zero));
    private readonly string _ledgerTable = Azurite.UniqueTable("led");
    private readonly string _indexTable = Azurite.UniqueTable("idx");
    private readonly RequestRecorder _recorder = new();
    private readonly TableServiceClient _service;
    private readonly RefundLedger _ledger;

    public RefundLedgerReadTests()
    {
        var options = new TableClientOptions();
        options.AddPolicy(_recorder, HttpPipelinePosition.PerRetry);
        _service = new TableServiceClient(Azurite.ConnectionString, options);
        _ledger = new RefundLedger(_service, _time, NullLogger<RefundLedger>.Instance, _ledgerTable, _indexTable);
    }

    private static RefundRequestRecord Request(string requestId) => new()
    {
        RequestId = requestId,
        OrderId = Order,
        Description = "退款",
        Charge = "ch_1",
        ChargeAmount = 100,
    };

    private static PingppRefund Refund(string id, PingppRefundStatus status, string? requestId) => new()
    {
        Id = id,
        Amount = 100,
        Status = status,
        Charge = "ch_1",
        Metadata = requestId is null ? null : new Dictionary<string, string> { [PingppMetadata.RequestId] = requestId },
    };

    private async Task SeedAsync()
    {
        await _ledger.CreateRequestAsync(Request("m_r1"), Ct);
        await _ledger.CreateRequestAsync(Request("m_r2"), Ct);
        await _ledger.TryBeginSubmitAsync("m_r1", _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        await _ledger.RecordSubmittedAsync("m_r1", [Refund("re_m1", PingppRefundStatus.Pending, "m_r1"), Refund("re_m2", PingppRefundStatus.Pending, "m_r1")], Ct);
        await _ledger.ApplyRefundAsync(Refund("re_ext", PingppRefundStatus.Succeeded, null), Order, Ct);
    }

    [Fact]
    public async Task Reading_an_order_and_refreshing_its_open_work_send_no_query_to_the_ledger_table()
    {
        await SeedAsync();
        _recorder.Clear();

        var order = await _ledger.ListOrderAsync(Order, Ct);
        var open = await _ledger.RefreshOpenWorkAsync(Order, Ct);

        Assert.Equal(["m_r1", "m_r2"], order.Requests.Select(r => r.RequestId));
        Assert.Equal(["re_ext", "re_m1", "re_m2"], order.Refunds.Select(r => r.RefundId));
        Assert.True(open);
        var ledgerReads = _recorder.Uris.Where(u => u.AbsolutePath.Contains(_ledgerTable, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(ledgerReads);
        Assert.DoesNotContain(ledgerReads, u => u.Query.Contains("filter", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_member_listed_without_its_row_is_skipped()
    {
        await SeedAsync();
        // What a crash between listing a member and writing its row leaves behind.
        await _service.GetTableClient(_ledgerTable).DeleteEntityAsync(Order, LedgerEntities.RequestRowKey("m_r2"), Azure.ETag.All, Ct);

        var order = await _ledger.ListOrderAsync(Order, Ct);

        Assert.Equal(["m_r1"], order.Requests.Select(r => r.RequestId));
        Assert.Equal(3, order.Refunds.Count);
    }

    [Fact]
    public async Task An_overflowed_members_list_falls_back_to_reading_the_whole_partition()
    {
        await SeedAsync();
        await _service.GetTableClient(_ledgerTable).UpsertEntityAsync(
            new TableEntity(Order, LedgerEntities.MembersRow) { [LedgerEntities.MembersOverflow] = true }, TableUpdateMode.Replace, Ct);

        var order = await _ledger.ListOrderAsync(Order, Ct);
        await _ledger.CreateRequestAsync(Request("m_r3"), Ct);
        var after = await _ledger.ListOrderAsync(Order, Ct);

        Assert.Equal(["m_r1", "m_r2"], order.Requests.Select(r => r.RequestId));
        Assert.Equal(["re_ext", "re_m1", "re_m2"], order.Refunds.Select(r => r.RefundId));
        Assert.Equal(["m_r1", "m_r2", "m_r3"], after.Requests.Select(r => r.RequestId));
    }

    [Fact]
    public async Task A_redelivered_final_report_changes_nothing_and_does_not_read_the_order_again()
    {
        await SeedAsync();
        var report = Refund("re_m1", PingppRefundStatus.Succeeded, "m_r1");
        var first = await _ledger.ApplyRefundAsync(report, null, Ct);
        _recorder.Clear();

        var again = await _ledger.ApplyRefundAsync(report, null, Ct);

        Assert.Equal((RefundApplyOutcome.Updated, RefundApplyOutcome.Unchanged), (first.Outcome, again.Outcome));
        Assert.DoesNotContain(_recorder.Uris, u => Uri.UnescapeDataString(u.AbsolutePath).Contains($"RowKey='{LedgerEntities.MembersRow}'", StringComparison.Ordinal));
        Assert.Equal(PingppRefundStatus.Succeeded, (await _ledger.GetRefundAsync("re_m1", Ct))!.Status);
    }

    [Fact]
    public async Task The_create_answer_for_a_request_this_ledger_just_claimed_is_recorded_without_reading_the_request()
    {
        var created = await _ledger.CreateClaimedRequestAsync(Request("m_fast"), _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        _recorder.Clear();

        var submitted = await _ledger.RecordSubmittedAsync(created.Request, [Refund("re_fast", PingppRefundStatus.Pending, "m_fast")], Ct);

        Assert.Equal((RequestUpdateOutcome.Updated, RefundRequestState.Submitted), (submitted.Outcome, submitted.Request!.State));
        Assert.DoesNotContain(_recorder.Uris, u => u.AbsolutePath.Contains(_ledgerTable, StringComparison.Ordinal));
        Assert.Equal(["re_fast"], (await _ledger.GetRequestAsync("m_fast", Ct))!.RefundIds);
    }

    [Fact]
    public async Task A_request_changed_by_someone_else_after_this_ledger_claimed_it_is_read_again_before_the_answer_is_recorded()
    {
        var created = await _ledger.CreateClaimedRequestAsync(Request("m_moved"), _time.GetUtcNow(), TimeSpan.FromMinutes(2), Ct);
        var other = new RefundLedger(Azurite.Tables(), _time, NullLogger<RefundLedger>.Instance, _ledgerTable, _indexTable);
        await other.RecordIgnoredMessageAsync("m_moved", "a note written by another instance", Ct);

        var submitted = await _ledger.RecordSubmittedAsync(created.Request, [Refund("re_moved", PingppRefundStatus.Pending, "m_moved")], Ct);

        var stored = await _ledger.GetRequestAsync("m_moved", Ct);
        Assert.Equal(RequestUpdateOutcome.Updated, submitted.Outcome);
        Assert.Equal((RefundRequestState.Submitted, 1, "a note written by another instance"), (stored!.State, stored.IgnoredMessages, stored.LastIgnoredMessage));
        Assert.Equal(["re_moved"], stored.RefundIds);
    }

    /// <summary>Remembers the URI of every GET the storage client sends.</summary>
    private sealed class RequestRecorder : HttpPipelineSynchronousPolicy
    {
        private readonly ConcurrentQueue<Uri> _uris = new();

        public IReadOnlyList<Uri> Uris => [.. _uris];

        public void Clear() => _uris.Clear();

        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.Request.Method == RequestMethod.Get)
            {
                _uris.Enqueue(message.Request.Uri.ToUri());
            }
        }
    }
}
