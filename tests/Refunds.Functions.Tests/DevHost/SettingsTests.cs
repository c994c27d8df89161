using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Refunds.DevHost;

namespace Refunds.Functions.Tests.DevHost;

public sealed class SettingsTests
{
    [Fact]
    public async Task Local_settings_values_apply_and_environment_variables_win()
    {
        var suffix = Guid.NewGuid().ToString("N");
        var fromFileOnly = $"DevHostTest_{suffix}_File";
        var overridden = $"DevHostTest_{suffix}_Both";
        var path = Path.Combine(Path.GetTempPath(), $"local.settings.{suffix}.json");
        await File.WriteAllTextAsync(path, $$"""
            { "IsEncrypted": false,
              "Values": { "{{fromFileOnly}}": "file", "{{overridden}}": "file", "Nested__{{suffix}}__Key": "nested",
                          "AzureWebJobsStorage": "{{TestStorage.ConnectionString}}" } }
            """);
        Environment.SetEnvironmentVariable(overridden, "environment");
        var secrets = RunningDevHost.NewSecretsFolder();
        try
        {
            var app = DevHostApplication.Build(["--settings", path, "--secrets", secrets, "--urls", "http://127.0.0.1:0", "--functions", "Health"]);
            await using (app)
            {
                var configuration = app.Services.GetRequiredService<IConfiguration>();
                Assert.Equal("file", configuration[fromFileOnly]);
                Assert.Equal("environment", configuration[overridden]);
                Assert.Equal("nested", configuration[$"Nested:{suffix}:Key"]);
                Assert.Equal(["Health"], app.Services.GetRequiredService<ServedFunctions>().All.Select(f => f.Name));
            }

            Assert.True(File.Exists(Path.Combine(secrets, "host.json")), "--secrets names the folder the keys are generated in");
        }
        finally
        {
            Environment.SetEnvironmentVariable(overridden, null);
            File.Delete(path);
            RunningDevHost.DeleteFolder(secrets);
        }
    }

    [Fact]
    public void Missing_settings_file_given_explicitly_is_an_error_naming_it()
    {
        var path = Path.Combine(Path.GetTempPath(), $"absent-{Guid.NewGuid():N}.json");
        var error = Assert.Throws<FileNotFoundException>(() => DevHostApplication.Build(["--settings", path]));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Repository_host_json_is_what_the_dev_host_reads_by_default()
    {
        var fromRepository = HostJson.Load(RepositoryPaths.HostJson);
        var located = HostJson.Locate();

        Assert.NotNull(located);
        Assert.Equal(File.ReadAllBytes(RepositoryPaths.HostJson), File.ReadAllBytes(located));
        Assert.Equal(
            new QueueHostOptions
            {
                BatchSize = 16,
                NewBatchThreshold = 8,
                MaxDequeueCount = 5,
                VisibilityTimeout = TimeSpan.FromSeconds(60),
                MaxPollingInterval = TimeSpan.FromSeconds(2),
                MessageEncoding = Azure.Storage.Queues.QueueMessageEncoding.None,
                MessageLease = TimeSpan.FromMinutes(10),
            },
            fromRepository.Queues);
        Assert.Equal("api", fromRepository.RoutePrefix);
    }
}
