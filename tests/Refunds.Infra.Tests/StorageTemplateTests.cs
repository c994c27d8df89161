using Refunds.Core.Configuration;

namespace Refunds.Infra.Tests;

public sealed class StorageTemplateTests
{
    private static readonly CompiledTemplate Template = CompiledTemplate.ForMain;

    [Fact]
    public void Storage_account_accepts_only_identity_auth_over_tls12_https_without_public_blobs()
    {
        var account = Template.Single("Microsoft.Storage/storageAccounts").Properties!;

        Assert.False(account["allowSharedKeyAccess"]!.GetValue<bool>());
        Assert.Equal("TLS1_2", account["minimumTlsVersion"]!.GetValue<string>());
        Assert.True(account["supportsHttpsTrafficOnly"]!.GetValue<bool>());
        Assert.False(account["allowBlobPublicAccess"]!.GetValue<bool>());
    }

    [Fact]
    public void No_account_key_or_key_listing_appears_anywhere_in_the_template()
    {
        Assert.DoesNotContain("AccountKey", Template.Json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("listKeys(", Template.Json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("InstrumentationKey=", Template.Json, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Queues_are_the_refund_request_queue_and_its_poison_queue()
    {
        var queueNames = Template.Module("storage").Parameter("queueNames")!.AsArray().Select(q => q!.GetValue<string>());
        var queues = Template.Single("Microsoft.Storage/storageAccounts/queueServices/queues");

        Assert.Equal(
            [StorageNames.DefaultRefundRequestsQueue, StorageNames.DefaultRefundRequestsQueue + StorageNames.PoisonSuffix],
            queueNames.Order(StringComparer.Ordinal));
        Assert.Equal("[length(parameters('queueNames'))]", queues.Json["copy"]!["count"]!.GetValue<string>());
        Assert.Contains("parameters('queueNames')[copyIndex()]", queues.Name, StringComparison.Ordinal);
    }

    [Fact]
    public void Tables_are_exactly_the_tables_the_app_uses()
    {
        var tableNames = Template.Module("storage").Parameter("tableNames")!.AsArray().Select(t => t!.GetValue<string>()).ToList();
        var tables = Template.Single("Microsoft.Storage/storageAccounts/tableServices/tables");

        Assert.Equal(StorageNames.AllTables.Order(StringComparer.Ordinal), tableNames.Order(StringComparer.Ordinal));
        Assert.Equal("[length(parameters('tableNames'))]", tables.Json["copy"]!["count"]!.GetValue<string>());
        Assert.Contains("parameters('tableNames')[copyIndex()]", tables.Name, StringComparison.Ordinal);
    }

    [Fact]
    public void Deployment_and_host_containers_are_private()
    {
        var containers = Template.OfType("Microsoft.Storage/storageAccounts/blobServices/containers");

        Assert.NotEmpty(containers);
        Assert.All(containers, c => Assert.Equal("None", c.Properties!["publicAccess"]!.GetValue<string>()));
    }
}
