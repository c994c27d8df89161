using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Refunds.DevHost;
using Refunds.DevHost.Keys;

namespace Refunds.Functions.Tests.DevHost;

/// <summary>HTTP auth as the Functions host enforces it, with keys from a secrets folder in the host's file format.</summary>
public sealed class FunctionKeysTests
{
    private const string Order = "2026120500000000001";

    private static DevHostOptions AppOptions(string? secrets = null, ILoggerProvider? logs = null)
    {
        var options = new DevHostOptions
        {
            Functions = ["Health", "PingppWebhook", "ListOrderRefunds", "GetOrderRefund", "RequeueDeadLetteredRefundRequests"],
            SecretsPath = secrets,
            ConfigureServices = logs is null ? null : services => services.AddSingleton(logs),
        };
        options.Settings["RefundRequestsQueue"] = TestStorage.UniqueQueueName("keys");
        options.Settings["ReconcileSchedule"] = "0 0 3 1 1 *";
        return options;
    }

    [Fact]
    public async Task A_function_level_route_answers_401_with_an_empty_body_without_a_key_or_with_a_wrong_one()
    {
        await using var host = await RunningDevHost.StartAsync(AppOptions());
        using var none = host.CreateClient(key: null);
        using var wrong = host.CreateClient(SecretsFolder.NewKey());

        foreach (var client in new[] { none, wrong })
        {
            using var response = await client.GetAsync($"/api/orders/{Order}/refunds");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(string.Empty, await response.Content.ReadAsStringAsync());
            Assert.False(response.Headers.Contains(HttpFunctionEndpoints.FunctionHeader), "the function did not run");
        }

        using var wrongCode = await none.GetAsync($"/api/orders/{Order}/refunds?code={SecretsFolder.NewKey()}");
        Assert.Equal(HttpStatusCode.Unauthorized, wrongCode.StatusCode);
    }

    [Fact]
    public async Task The_function_s_own_key_a_host_key_and_the_master_key_open_a_function_level_route_in_the_header_or_as_code()
    {
        await using var host = await RunningDevHost.StartAsync(AppOptions());
        var own = host.Keys.For("ListOrderRefunds")[SecretsFolder.DefaultKeyName];
        var otherFunctions = host.Keys.For("GetOrderRefund")[SecretsFolder.DefaultKeyName];

        foreach (var key in new[] { own, host.Keys.HostKeys[SecretsFolder.DefaultKeyName], host.Keys.MasterKey })
        {
            using var client = host.CreateClient(key);
            using var response = await client.GetAsync($"/api/orders/{Order}/refunds");
            Assert.True(response.Headers.Contains(HttpFunctionEndpoints.FunctionHeader), $"reached the function ({(int)response.StatusCode})");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode); // the ledger knows no such order
        }

        using var anonymous = host.CreateClient(key: null);
        using var asCode = await anonymous.GetAsync($"/api/orders/{Order}/refunds?code={Uri.EscapeDataString(own)}");
        Assert.Equal(HttpStatusCode.NotFound, asCode.StatusCode);
        Assert.True(asCode.Headers.Contains(HttpFunctionEndpoints.FunctionHeader));

        // Another function's own key is not a key of this one.
        using var foreign = host.CreateClient(otherFunctions);
        using var refused = await foreign.GetAsync($"/api/orders/{Order}/refunds");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task An_admin_route_refuses_function_and_host_keys_and_takes_only_the_master_key()
    {
        await using var host = await RunningDevHost.StartAsync(AppOptions());
        var path = "/api/manage/refund-requests/requeue-dead-lettered";

        foreach (var key in new[] { null, host.Keys.HostKeys[SecretsFolder.DefaultKeyName], host.Keys.For("ListOrderRefunds")[SecretsFolder.DefaultKeyName] })
        {
            using var client = host.CreateClient(key);
            using var response = await client.PostAsync(path, null);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(string.Empty, await response.Content.ReadAsStringAsync());
        }

        using var master = host.CreateClient(host.Keys.MasterKey);
        using var allowed = await master.PostAsync(path, null);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task Health_and_the_webhook_stay_anonymous()
    {
        await using var host = await RunningDevHost.StartAsync(AppOptions());
        using var anonymous = host.CreateClient(key: null);

        using var health = await anonymous.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var webhook = await anonymous.PostAsync("/api/pingpp/webhooks", new StringContent("{}"));
        // The function ran and judged the unsigned body itself (its own answer, not the host's empty 401).
        Assert.True(webhook.Headers.Contains(HttpFunctionEndpoints.FunctionHeader), $"the webhook function ran ({(int)webhook.StatusCode})");
    }

    [Fact]
    public async Task Keys_are_generated_in_the_host_s_file_format_on_first_start_and_read_back_unchanged_on_the_next()
    {
        var secrets = RunningDevHost.NewSecretsFolder();
        try
        {
            FunctionKeys firstKeys;
            await using (var first = await RunningDevHost.StartAsync(AppOptions(secrets)))
            {
                firstKeys = first.Keys;
            }

            using (var hostFile = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(secrets, "host.json"))))
            {
                var root = hostFile.RootElement;
                Assert.Equal("master", root.GetProperty("masterKey").GetProperty("name").GetString());
                Assert.Equal(firstKeys.MasterKey, root.GetProperty("masterKey").GetProperty("value").GetString());
                Assert.False(root.GetProperty("masterKey").GetProperty("encrypted").GetBoolean());
                var hostKey = Assert.Single(root.GetProperty("functionKeys").EnumerateArray());
                Assert.Equal(("default", firstKeys.HostKeys["default"]), (hostKey.GetProperty("name").GetString(), hostKey.GetProperty("value").GetString()));
                Assert.Equal(JsonValueKind.Array, root.GetProperty("systemKeys").ValueKind);
            }

            // One file per function-level function, lower-case name; none for anonymous or admin ones.
            Assert.Equal(["getorderrefund.json", "host.json", "listorderrefunds.json"], Directory.GetFiles(secrets).Select(Path.GetFileName).Order());
            using (var functionFile = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(secrets, "listorderrefunds.json"))))
            {
                var key = Assert.Single(functionFile.RootElement.GetProperty("keys").EnumerateArray());
                Assert.Equal(firstKeys.For("ListOrderRefunds")["default"], key.GetProperty("value").GetString());
            }

            await using var second = await RunningDevHost.StartAsync(AppOptions(secrets));
            Assert.Equal(firstKeys.MasterKey, second.Keys.MasterKey);
            Assert.Equal(firstKeys.HostKeys["default"], second.Keys.HostKeys["default"]);
            Assert.Equal(firstKeys.For("ListOrderRefunds")["default"], second.Keys.For("ListOrderRefunds")["default"]);
        }
        finally
        {
            RunningDevHost.DeleteFolder(secrets);
        }
    }

    [Fact]
    public async Task Keys_added_by_hand_to_the_secrets_files_are_accepted_and_an_encrypted_key_stops_the_host_naming_the_file()
    {
        var secrets = RunningDevHost.NewSecretsFolder();
        try
        {
            Directory.CreateDirectory(secrets);
            var added = SecretsFolder.NewKey();
            await File.WriteAllTextAsync(Path.Combine(secrets, "host.json"), $$"""
                { "masterKey": { "name": "master", "value": "{{SecretsFolder.NewKey()}}", "encrypted": false },
                  "functionKeys": [ { "name": "default", "value": "{{SecretsFolder.NewKey()}}", "encrypted": false },
                                    { "name": "operators", "value": "{{added}}", "encrypted": false } ],
                  "systemKeys": [] }
                """);
            await using (var host = await RunningDevHost.StartAsync(AppOptions(secrets)))
            {
                using var client = host.CreateClient(added);
                using var response = await client.GetAsync($"/api/orders/{Order}/refunds");
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            }

            await File.WriteAllTextAsync(Path.Combine(secrets, "listorderrefunds.json"), """
                { "keys": [ { "name": "default", "value": "CfDJ8AAAAAAAAAAAAAAAAAAAAA", "encrypted": true } ] }
                """);
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunningDevHost.StartAsync(AppOptions(secrets)));
            Assert.Contains("listorderrefunds.json", error.Message);
            Assert.Contains("encrypted", error.Message);
        }
        finally
        {
            RunningDevHost.DeleteFolder(secrets);
        }
    }

    [Fact]
    public async Task No_key_is_written_to_the_logs_whether_accepted_or_refused()
    {
        var logs = new CapturingLoggerProvider();
        var options = AppOptions(logs: logs);
        options.Settings["Logging:LogLevel:Default"] = "Trace";
        await using var host = await RunningDevHost.StartAsync(options);
        var wrong = SecretsFolder.NewKey();
        using (var client = host.CreateClient(wrong))
        {
            (await client.GetAsync($"/api/orders/{Order}/refunds")).Dispose();
            (await client.GetAsync($"/api/orders/{Order}/refunds?code={wrong}")).Dispose();
        }

        (await host.Client.GetAsync($"/api/orders/{Order}/refunds")).Dispose();
        using (var master = host.CreateClient(host.Keys.MasterKey))
        {
            (await master.PostAsync("/api/manage/refund-requests/requeue-dead-lettered", null)).Dispose();
        }

        var text = string.Join("\n", logs.Lines);
        Assert.Contains("401", text);
        foreach (var key in new[] { wrong, host.Keys.MasterKey, host.Keys.HostKeys["default"], host.Keys.For("ListOrderRefunds")["default"] })
        {
            Assert.DoesNotContain(key, text);
        }
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines;

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                => lines.Enqueue($"{category} {formatter(state, exception)} {exception}");
        }
    }
}
