using System.Net;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Refunds.Core.Ledger;
using Refunds.EndToEndTests.Support;
using Refunds.Functions.Tests;
using Xunit.Abstractions;

namespace Refunds.EndToEndTests.Hosting;

/// <summary>The app finds its queue and tables through settings alone, as it must on <c>func</c>, where no test can swap its services.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class SettingsDrivenTablesTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_refund_submitted_over_http_lands_in_the_tables_named_by_the_storage_settings()
    {
        await using var system = await RefundSystem.StartAsync(new RefundSystemOptions { StorageConnectionString = TestStorage.ConnectionString });
        output.WriteLine($"host: {system.Host.Description}");
        var request = await system.SeededRequestAsync("tables-" + Guid.NewGuid().ToString("N"), 300);

        Assert.Equal(HttpStatusCode.Accepted, (await RefundApi.SubmitAsync(system.Client, request)).Status);
        await system.WaitForAllAsync([request.RequestId], r => r.State is RefundRequestState.Submitted or RefundRequestState.Succeeded, TimeSpan.FromSeconds(60));

        // Rows in the ledger table the settings named; the app's wiring built from those same settings alone reads it back.
        var ledgerRows = new TableClient(TestStorage.ConnectionString, system.TableNames.RefundLedgerTable).QueryAsync<TableEntity>(maxPerPage: 100);
        var rows = new List<TableEntity>();
        await foreach (var row in ledgerRows)
        {
            rows.Add(row);
        }

        Assert.Contains(rows, r => r.PartitionKey.Contains(request.OrderId, StringComparison.Ordinal) || r.RowKey.Contains(request.RequestId, StringComparison.Ordinal));
        await using var fromSettings = RefundSystem.ClientServices(system.AppSettingsGiven);
        var record = await fromSettings.GetRequiredService<IRefundLedger>().GetRequestAsync(request.RequestId, CancellationToken.None);
        Assert.Equal(request.OrderId, record?.OrderId);
    }
}
