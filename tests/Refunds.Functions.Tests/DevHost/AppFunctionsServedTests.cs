using System.Net;
using System.Text.Json;
using Azure.Storage.Queues;
using Cronos;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;
using Refunds.Core.Pingpp;
using Refunds.DevHost;
using Refunds.Functions.Tests.Publishing;

namespace Refunds.Functions.Tests.DevHost;

/// <summary>Every function the Functions SDK declares for Refunds.Functions is served by the dev host.</summary>
public sealed class AppFunctionsServedTests
{
    /// <summary>
    /// Settings the app's functions need to start in the dev host. Teammates: add what your registrations validate
    /// on start (e.g. Pingpp__ApiBase), with harmless test values; queue names stay unique per test run.
    /// </summary>
    private static Dictionary<string, string?> AppSettings() => new(TestPingppSettings.Baseline())
    {
        ["RefundRequestsQueue"] = TestStorage.UniqueQueueName("devhost-refunds"),
        ["ReconcileSchedule"] = "0 0 3 1 1 *",
    };

    [Fact]
    public async Task Every_function_in_functions_metadata_is_served_with_its_resolved_trigger()
    {
        var declared = FunctionsMetadataFile.Read(RepositoryPaths.FunctionsMetadata);
        Assert.NotEmpty(declared);
        var settings = AppSettings();
        var options = new DevHostOptions();
        foreach (var (key, value) in settings)
        {
            options.Settings[key] = value;
        }

        await using var host = await RunningDevHost.StartAsync(options);
        using var master = host.CreateClient(host.Keys.MasterKey);
        Assert.Equal(declared.Select(f => f.Name).Order(), host.Functions.All.Select(f => f.Name).Order());

        foreach (var function in declared)
        {
            var served = host.Functions[function.Name];
            await served.Ready.WaitAsync(TimeSpan.FromSeconds(30));
            switch (function.Trigger)
            {
                case "httpTrigger":
                    var method = function.Methods.Count == 0 ? "GET" : function.Methods[0].ToUpperInvariant();
                    var path = "/api/" + System.Text.RegularExpressions.Regex.Replace(function.Route!, "{[^}]+}", "test1");
                    using (var response = await master.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)))
                    {
                        Assert.True(response.Headers.TryGetValues(HttpFunctionEndpoints.FunctionHeader, out var names),
                            $"{method} {path} did not reach a function ({(int)response.StatusCode})");
                        Assert.Equal(function.Name, Assert.Single(names));
                    }

                    break;
                case "queueTrigger":
                    var queueName = FunctionCatalog.ResolveSettings(function.QueueName!, name => settings.GetValueOrDefault(name), function.Name);
                    Assert.Equal(queueName, served.QueueName);
                    Assert.True(await new QueueClient(TestStorage.ConnectionString, queueName).ExistsAsync(), $"{function.Name} does not listen on {queueName}");
                    break;
                case "timerTrigger":
                    var schedule = FunctionCatalog.ResolveSettings(function.Schedule!, name => settings.GetValueOrDefault(name), function.Name);
                    Assert.Equal(schedule, served.Schedule);
                    var next = CronExpression.Parse(schedule, CronFormat.IncludeSeconds).GetNextOccurrence(DateTimeOffset.UtcNow, TimeZoneInfo.Utc);
                    Assert.Equal(next, served.NextOccurrence);
                    break;
                default:
                    Assert.Fail($"{function.Name}: the dev host has no {function.Trigger}");
                    break;
            }
        }
    }

    [Fact]
    public async Task Health_reports_version_and_reachable_table_storage()
    {
        await using var host = await RunningDevHost.StartAsync(new DevHostOptions { Functions = ["Health"] });

        using var response = await host.Client.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("healthy", body.RootElement.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("version").GetString()));
        Assert.Equal("ok", body.RootElement.GetProperty("checks").GetProperty("tableStorage").GetString());
        Assert.Equal("ok", body.RootElement.GetProperty("checks").GetProperty("settings").GetString());
    }

    [Fact]
    public async Task Health_answers_503_naming_a_setting_app_service_left_as_a_key_vault_reference()
    {
        // What App Service hands the app when the identity lacks Key Vault Secrets User or the secret is missing.
        // Every function is served: the whole app starts, so the health route can answer.
        var options = new DevHostOptions();
        foreach (var (key, value) in AppSettings())
        {
            options.Settings[key] = value;
        }

        options.Settings[TestPingppSettings.Key(SettingNames.PingppApiKey)] =
            "@Microsoft.KeyVault(SecretUri=https://kv-abc123.vault.azure.net/secrets/pingpp-api-key)";
        await using var host = await RunningDevHost.StartAsync(options);

        using var response = await host.Client.GetAsync("/api/health");
        var text = await response.Content.ReadAsStringAsync();
        var checks = JsonDocument.Parse(text).RootElement.GetProperty("checks");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("ok", checks.GetProperty("tableStorage").GetString());
        Assert.StartsWith("unresolved Key Vault reference: Pingpp__ApiKey ", checks.GetProperty("settings").GetString(), StringComparison.Ordinal);
        Assert.Contains("Key Vault Secrets User", text, StringComparison.Ordinal);
        Assert.DoesNotContain("kv-abc123", text, StringComparison.Ordinal);

        // The Ping++ client refuses to be built with the reference text as its API key, naming the fix.
        var refused = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<PingppClientOptions>>().Value);
        Assert.Contains("Pingpp__ApiKey still holds the Key Vault reference to secret 'pingpp-api-key'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_answers_503_without_details_when_table_storage_is_unreachable()
    {
        var options = new DevHostOptions { Functions = ["Health"] };
        options.Settings["AzureWebJobsStorage"] = TestStorage.Unreachable;
        await using var host = await RunningDevHost.StartAsync(options);

        using var response = await host.Client.GetAsync("/api/health");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("unreachable", JsonDocument.Parse(text).RootElement.GetProperty("checks").GetProperty("tableStorage").GetString());
        Assert.DoesNotContain("127.0.0.1", text);
        Assert.DoesNotContain("AccountKey", text);
    }
}
