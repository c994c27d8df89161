using Spectre.Console;

namespace Refunds.Cli;

/// <summary>
/// The CLI's tables (Spectre.Console): upper-case headers, cells as plain text (never markup, so ids and Ping++'s
/// messages print as they are), CJK counted two columns wide by Spectre. A <c>-</c> stands for a missing value.
/// </summary>
internal static class CliTable
{
    /// <param name="headers">Column headers; a header ending in <c>&gt;</c> is right-aligned (amounts), the mark not shown.</param>
    public static Table Create(params string[] headers)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var header in headers)
        {
            var right = header.EndsWith('>');
            var column = new TableColumn(new Text(right ? header[..^1] : header)) { NoWrap = true };
            table.AddColumn(right ? column.RightAligned() : column);
        }

        return table;
    }

    public static Table Row(this Table table, params string?[] cells)
    {
        table.AddRow([.. cells.Select(c => new Text(string.IsNullOrEmpty(c) ? "-" : c))]);
        return table;
    }
}
