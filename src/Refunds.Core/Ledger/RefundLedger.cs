using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Refunds.Core.Configuration;
using Refunds.Core.Storage;

namespace Refunds.Core.Ledger;

/// <summary>
/// <see cref="IRefundLedger"/> on Table Storage: the ledger table (layout in <see cref="LedgerEntities"/>, read through
/// <see cref="LedgerPartitionReader"/>) and the open-work index table (<see cref="OpenWorkIndexTable"/>). Its parts:
/// recording requests (<c>RefundLedger.Create.cs</c>, through the approval gate <see cref="IRequestAdmission"/> when
/// one is given), their lifecycle (<c>.Requests.cs</c>), operator moves (<c>.Operator.cs</c>), the history of every
/// state change (<c>.History.cs</c>), the create lock (<c>.CreateLock.cs</c>), refund merges (<c>.Refunds.cs</c>) and
/// order rows (<c>.Orders.cs</c>).
/// </summary>
/// <remarks>
/// Concurrency: every update is read → decide → write with an ETag (the one read, or the one this instance's own last
/// write returned), retried on 412/409 by <see cref="OptimisticRetry"/>. Open-work index protocol: a change that may
/// open work upserts the index row before writing the ledger (crash safety); a change that may close work ends with
/// <see cref="RefreshOpenWorkAsync"/>, which upserts when work is open but deletes only with the ETag it read before
/// reading the order's rows. So a concurrent opener always leaves the row in place, and while a request is open its
/// index row exists: changes that keep it open need neither the upsert nor the refresh.
/// </remarks>
public sealed partial class RefundLedger : IRefundLedger
{
    /// <summary>The index is spread over this many partitions (<c>open-0</c>…).</summary>
    public const int IndexPartitionCount = 8;


    private const int MaxRememberedClaims = 4096;

    private readonly TableHandle _ledger;
    private readonly OpenWorkIndexTable _openWork;
    private readonly RequestIndex _requestIndex;
    private readonly TimeProvider _time;
    private readonly ILogger<RefundLedger> _logger;
    private readonly LedgerMetrics _metrics;
    private readonly IRequestAdmission? _admission;
    private readonly ConcurrentDictionary<string, (RefundRequestRecord Record, ETag ETag)> _claims = new(StringComparer.Ordinal);

    public RefundLedger(
        TableServiceClient service,
        TimeProvider time,
        ILogger<RefundLedger> logger,
        string ledgerTableName = StorageNames.RefundLedgerTable,
        string indexTableName = StorageNames.ReconcileIndexTable,
        IMeterFactory? meterFactory = null,
        IOrderWatch? watch = null,
        string requestIndexTableName = StorageNames.RequestIndexTable,
        IRequestAdmission? admission = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        _metrics = new LedgerMetrics(meterFactory);
        _ledger = new TableHandle(service, ledgerTableName);
        _time = time;
        _logger = logger;
        _admission = admission;
        _openWork = new OpenWorkIndexTable(_ledger, new TableHandle(service, indexTableName), time, logger, watch);
        _requestIndex = new RequestIndex(_ledger, new TableHandle(service, requestIndexTableName), time);
    }

    private DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>
    /// The claim this instance just wrote for a send, with the ETag the write returned: the create's answer is then
    /// recorded without reading the request again. Safe because the ETag is checked by the write that uses it: if the
    /// row changed since, that write fails and its retry reads. Entries are taken once; a crash in between only
    /// leaves one behind, and the map is emptied if it ever grows large.
    /// </summary>
    private void RememberWrite(RefundRequestRecord written, Response response)
    {
        if (response.Headers.ETag is not { } etag)
        {
            return;
        }

        if (_claims.Count >= MaxRememberedClaims)
        {
            _claims.Clear();
        }

        _claims[written.RequestId] = (written, etag);
    }

    private (RefundRequestRecord Record, ETag ETag)? TakeRememberedWrite(string requestId, string? orderId)
        => orderId is not null && _claims.TryRemove(requestId, out var claim) && claim.Record.OrderId == orderId ? claim : null;

    public Task<OpenWorkPage> ListOpenWorkAsync(int maxItems, string? continuation, CancellationToken ct)
        => _openWork.ListAsync(maxItems, continuation, ct);

    public Task<bool> RefreshOpenWorkAsync(string ledgerKey, CancellationToken ct)
        => _openWork.RefreshAsync(ledgerKey, ct);
}
