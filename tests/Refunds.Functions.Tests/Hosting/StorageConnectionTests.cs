using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Refunds.Functions.Hosting;

namespace Refunds.Functions.Tests.Hosting;

public sealed class StorageConnectionTests
{
    private const string AccountKeyFragment = "Eby8vdM02xNOcqFl";

    [Fact]
    public void Startup_without_any_storage_setting_fails_naming_AzureWebJobsStorage()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddRefundsFunctionApp(Configuration([]));
        using var provider = services.BuildServiceProvider();

        var error = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        var message = error is AggregateException aggregate ? aggregate.Flatten().InnerExceptions[0].Message : error.Message;
        Assert.Contains("AzureWebJobsStorage is required", message);
        Assert.Contains("AzureWebJobsStorage__tableServiceUri", message);
    }

    [Fact]
    public void Connection_string_form_builds_clients_and_describes_itself_without_the_key()
    {
        var connection = StorageConnection.FromConfiguration(Configuration(new() { ["AzureWebJobsStorage"] = TestStorage.Unreachable }));

        Assert.False(connection.IsIdentityBased);
        Assert.Equal("devstoreaccount1", connection.CreateTableServiceClient().AccountName);
        Assert.DoesNotContain(AccountKeyFragment, connection.Description);
    }

    [Fact]
    public void Identity_form_uses_the_service_uris()
    {
        var connection = StorageConnection.FromConfiguration(Configuration(new()
        {
            ["AzureWebJobsStorage:tableServiceUri"] = "https://acct.table.core.windows.net",
            ["AzureWebJobsStorage:queueServiceUri"] = "https://acct.queue.core.windows.net",
            ["AzureWebJobsStorage:credential"] = "managedidentity",
            ["AzureWebJobsStorage:clientId"] = "00000000-0000-0000-0000-000000000001",
            ["WEBSITE_INSTANCE_ID"] = "instance-1",
        }));

        Assert.True(connection.IsIdentityBased);
        Assert.Equal(new Uri("https://acct.table.core.windows.net/"), connection.CreateTableServiceClient().Uri);
        Assert.Equal(new Uri("https://acct.queue.core.windows.net/"), connection.CreateQueueServiceClient().Uri);
        Assert.Contains("user-assigned managed identity", connection.Description);
    }

    [Fact]
    public void Identity_form_outside_azure_uses_the_developer_credentials_not_a_managed_identity()
    {
        var connection = StorageConnection.FromConfiguration(Configuration(new()
        {
            ["AzureWebJobsStorage:accountName"] = "acct",
            ["AzureWebJobsStorage:clientId"] = "00000000-0000-0000-0000-000000000001",
        }));

        Assert.Contains("developer credentials", connection.Description);
        Assert.DoesNotContain("managed identity", connection.Description);
    }

    [Fact]
    public void Identity_form_with_an_account_name_derives_both_service_uris()
    {
        var connection = StorageConnection.FromConfiguration(Configuration(new() { ["AzureWebJobsStorage:accountName"] = "acct" }));

        Assert.Equal("acct", connection.CreateQueueServiceClient().AccountName);
        Assert.Equal(new Uri("https://acct.table.core.windows.net/"), connection.CreateTableServiceClient().Uri);
    }

    [Fact]
    public void Malformed_connection_string_is_rejected_without_echoing_it()
    {
        var secret = "AccountName=x;AccountKey=" + AccountKeyFragment + ";Garbage";
        var error = Assert.Throws<InvalidOperationException>(() =>
            StorageConnection.FromConfiguration(Configuration(new() { ["AzureWebJobsStorage"] = secret })));

        Assert.Contains("AzureWebJobsStorage", error.Message);
        Assert.DoesNotContain(AccountKeyFragment, error.Message);
    }

    [Fact]
    public void Unknown_credential_kind_is_rejected_naming_the_setting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => StorageConnection.FromConfiguration(Configuration(new()
        {
            ["AzureWebJobsStorage:accountName"] = "acct",
            ["AzureWebJobsStorage:credential"] = "password",
        })));

        Assert.Contains("AzureWebJobsStorage__credential", error.Message);
    }

    [Fact]
    public void App_wiring_resolves_the_storage_clients_from_the_setting()
    {
        var services = new ServiceCollection().AddLogging();
        using var signingKey = System.Security.Cryptography.RSA.Create(2048);
        services.AddRefundsFunctionApp(Configuration(new()
        {
            ["AzureWebJobsStorage"] = TestStorage.Unreachable,
            // The app also validates its Ping++ client options on start.
            ["Pingpp:ApiKey"] = "sk_test_wiring00000000000000000",
            ["Pingpp:SigningPrivateKey"] = signingKey.ExportRSAPrivateKeyPem(),
        }));
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate();
        Assert.Equal(new Uri("http://127.0.0.1:1/devstoreaccount1"), provider.GetRequiredService<TableServiceClient>().Uri);
        Assert.Equal("devstoreaccount1", provider.GetRequiredService<Azure.Storage.Queues.QueueServiceClient>().AccountName);
    }

    // The Ping++ settings are there so that storage is the only thing these tests leave out.
    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(TestPingppSettings.Baseline()).AddInMemoryCollection(values).Build();
}
