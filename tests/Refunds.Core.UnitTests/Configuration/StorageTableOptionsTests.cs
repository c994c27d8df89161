using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;

namespace Refunds.Core.UnitTests.Configuration;

public class StorageTableOptionsTests
{
    private static StorageTableOptions Bind(params (string Key, string Value)[] values)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();
        using var services = new ServiceCollection().AddStorageTableNames(configuration).BuildServiceProvider();
        return services.TableNames();
    }

    [Fact]
    public void Without_settings_the_tables_are_the_ones_the_template_creates()
    {
        var tables = Bind();

        Assert.Equal(StorageNames.AllTables.Order(StringComparer.Ordinal), tables.All().Select(t => t.Table).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Each_table_is_read_from_its_storage_setting()
    {
        var tables = Bind(
            ("Storage:RefundLedgerTable", "led1"), ("Storage:ReconcileIndexTable", "idx1"), ("Storage:WebhookEventsTable", "evt1"),
            ("Storage:DiscrepanciesTable", "dis1"), ("Storage:AnomaliesTable", "ano1"),
            ("Storage:RequestIndexTable", "rix1"), ("Storage:ProblemReviewsTable", "rev1"));

        Assert.Equal(
            [
                (StorageTableOptions.RefundLedgerTableSetting, "led1"), (StorageTableOptions.ReconcileIndexTableSetting, "idx1"),
                (StorageTableOptions.WebhookEventsTableSetting, "evt1"), (StorageTableOptions.DiscrepanciesTableSetting, "dis1"),
                (StorageTableOptions.AnomaliesTableSetting, "ano1"), (StorageTableOptions.RequestIndexTableSetting, "rix1"),
                (StorageTableOptions.ProblemReviewsTableSetting, "rev1"),
            ],
            tables.All());
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("1ledger")]
    [InlineData("refund-ledger")]
    public void A_name_that_is_no_table_name_stops_the_start_naming_the_setting(string name)
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Bind(("Storage:WebhookEventsTable", name)));

        Assert.Contains($"Storage__WebhookEventsTable '{name}' is not a table name", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_settings_naming_one_table_stop_the_start_naming_both()
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Bind(("Storage:AnomaliesTable", StorageNames.RefundLedgerTable)));

        Assert.Contains("Storage__RefundLedgerTable and Storage__AnomaliesTable name the same table", failure.Message, StringComparison.Ordinal);
    }
}
