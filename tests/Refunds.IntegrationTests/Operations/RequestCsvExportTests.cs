using System.Globalization;
using System.Text;
using CsvHelper;
using Refunds.Core.Ledger;
using Refunds.Core.Operations;

namespace Refunds.IntegrationTests.Operations;

/// <summary>The CSV export for accounting, read back from its bytes.</summary>
public sealed class RequestCsvExportTests
{
    [Fact]
    public async Task The_export_is_utf8_with_a_bom_and_round_trips_through_csvhelper_with_chinese_text_and_both_amounts()
    {
        using var rig = new OperationsRig();
        var run = Guid.NewGuid().ToString("N")[..8];
        var order = "ord-" + run;
        var chinese = await rig.CreateAsync("csv1-" + run, order, "ch_" + run, 1234, "退款：商品缺货，\"加急\"处理\n第二行");
        rig.Time.Advance(TimeSpan.FromMinutes(1));
        var formula = await rig.CreateAsync("csv2-" + run, order, "ch_" + run, 5, "=HYPERLINK(\"http://x\")");
        await rig.Ledger.RecordDeadLetteredAsync(formula.RequestId, "poisoned", CancellationToken.None);

        var bytes = await rig.Export.ExportAsync(new RequestSearchQuery { OrderId = order }, CancellationToken.None);

        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        using var reader = new CsvReader(new StreamReader(new MemoryStream(bytes), new UTF8Encoding(false)), CultureInfo.InvariantCulture);
        var rows = new List<string[]>();
        while (reader.Read())
        {
            rows.Add(Enumerable.Range(0, reader.Parser.Count).Select(i => reader.GetField(i)!).ToArray());
        }

        Assert.Equal(RequestCsvExport.Header, rows[0]);
        Assert.Equal(3, rows.Count);
        Assert.Equal([formula.RequestId, order, "dead_lettered", "5", "0.05", "ch_" + run, ""], rows[1][..7]);
        // A cell a spreadsheet would run as a formula is escaped, its text kept.
        Assert.NotEqual(formula.Description, rows[1][10]);
        Assert.EndsWith(formula.Description!, rows[1][10], StringComparison.Ordinal);
        Assert.Equal([chinese.RequestId, order, "received", "1234", "12.34", "ch_" + run, ""], rows[2][..7]);
        Assert.Equal(chinese.Description, rows[2][10]);
        Assert.Equal(chinese.CreatedAt, DateTimeOffset.Parse(rows[2][7], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Write_gives_the_header_alone_for_no_rows()
        => Assert.Equal("\uFEFF" + string.Join(',', RequestCsvExport.Header) + "\r\n", Encoding.UTF8.GetString(RequestCsvExport.Write(Array.Empty<RefundRequestRecord>())));
}
