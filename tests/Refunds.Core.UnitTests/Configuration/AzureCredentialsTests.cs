using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Refunds.Core.Configuration;

namespace Refunds.Core.UnitTests.Configuration;

public class AzureCredentialsTests
{
    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Theory]
    [InlineData("IDENTITY_ENDPOINT")]
    [InlineData("WEBSITE_INSTANCE_ID")]
    [InlineData("WEBSITE_SITE_NAME")]
    public void In_azure_only_the_managed_identity_is_used(string marker)
    {
        var credential = AzureCredentials.Create(Settings((marker, "x"), ("AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000001")));

        Assert.IsType<ManagedIdentityCredential>(credential);
    }

    [Fact]
    public void In_azure_without_a_client_id_the_system_assigned_identity_is_used()
        => Assert.IsType<ManagedIdentityCredential>(AzureCredentials.Create(Settings(("WEBSITE_SITE_NAME", "refunds-app"))));

    [Fact]
    public void On_a_developer_machine_the_developer_chain_is_used_even_with_a_client_id()
    {
        var configuration = Settings(("AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000001"), ("WEBSITE_SITE_NAME", " "));

        Assert.False(AzureCredentials.RunsInAzure(configuration));
        Assert.IsType<DefaultAzureCredential>(AzureCredentials.Create(configuration));
    }
}
