using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using Refunds.Core.Ledger;

namespace Refunds.Core.Operations;

/// <summary>
/// A search as CSV for accounting: UTF-8 with a byte-order mark (so Excel reads Chinese descriptions), amounts in fen
/// and in yuan, every matching row up to <see cref="MaxRows"/> (beyond: refused, narrow the search). Cells that a
/// spreadsheet would run as a formula are escaped.
/// </summary>
public sealed class RequestCsvExport(RequestSearch search)
{
    public const int MaxRows = 100_000;
    private const int PageSize = 1000;

    public static readonly string[] Header =
        ["request_id", "order_id", "status", "amount_fen", "amount_yuan", "charge", "refund_ids", "created_at", "updated_at", "submitted_by", "description"];

    /// <summary>The CSV bytes of every request the search matches; <see cref="OperatorParameterException"/> (<c>too_many_rows</c>) past <see cref="MaxRows"/>.</summary>
    public async Task<byte[]> ExportAsync(RequestSearchQuery query, CancellationToken ct)
    {
        var rows = new List<RefundRequestRecord>();
        string? continuation = null;
        do
        {
            var page = await search.SearchAsync(query, PageSize, continuation, ct).ConfigureAwait(false);
            rows.AddRange(page.Items);
            if (rows.Count > MaxRows)
            {
                throw new OperatorParameterException("since", $"More than {MaxRows} requests match: narrow the search (a shorter date range, a status, an amount range).")
                {
                    Code = "too_many_rows",
                };
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);

        return Write(rows);
    }

    public static byte[] Write(IEnumerable<RefundRequestRecord> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        using var buffer = new MemoryStream();
        using (var writer = new StreamWriter(buffer, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true)))
        using (var csv = new CsvWriter(writer, new CsvConfiguration(CultureInfo.InvariantCulture) { InjectionOptions = InjectionOptions.Escape }))
        {
            foreach (var name in Header)
            {
                csv.WriteField(name);
            }

            csv.NextRecord();
            foreach (var r in rows)
            {
                csv.WriteField(r.RequestId);
                csv.WriteField(r.OrderId);
                csv.WriteField(StateNames.ToApi(r.State.ToString()));
                csv.WriteField(r.ChargeAmount?.ToString(CultureInfo.InvariantCulture));
                csv.WriteField(r.ChargeAmount is { } fen ? (fen / 100m).ToString("0.00", CultureInfo.InvariantCulture) : null);
                csv.WriteField(r.Charge);
                csv.WriteField(string.Join(';', r.RefundIds));
                csv.WriteField(r.CreatedAt.ToString("o", CultureInfo.InvariantCulture));
                csv.WriteField(r.UpdatedAt.ToString("o", CultureInfo.InvariantCulture));
                csv.WriteField(r.SubmittedBy);
                csv.WriteField(r.Description);
                csv.NextRecord();
            }
        }

        return buffer.ToArray();
    }
}
