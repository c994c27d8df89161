using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Refunds.DevHost;
using Refunds.DevHost.Keys;
using Refunds.EndToEndTests.Support;

namespace Refunds.EndToEndTests.Hosting;

/// <summary>What the end-to-end suite hands Core Tools when it runs on <c>func</c> (checked here without running it).</summary>
public sealed class FuncHostLauncherTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("refunds-func-launch-").FullName;

    [Fact]
    public void Func_starts_in_the_app_folder_on_the_system_port_with_keys_enforced_serving_only_the_system_functions()
    {
        var options = new RefundSystemOptions { StorageConnectionString = "UseDevelopmentStorage=true", ReconcileSchedule = "*/3 * * * * *" };

        var start = FuncHostLauncher.StartInfo("/opt/func/func", _folder, 7345, RefundSystem.FunctionsServed(options));

        Assert.Equal("/opt/func/func", start.FileName);
        Assert.Equal(_folder, start.WorkingDirectory);
        Assert.Equal(
            [
                "start", "--port", "7345", "--enableAuth", "--no-build", "--functions",
                "ProcessRefundRequest", "RefundRequestPoison", "Health", "SubmitRefund", "ListOrderRefunds", "GetOrderRefund",
                "RequeueRefundRequest", "RequeueDeadLetteredRefundRequests",
                "GetRefundRequest", "ApproveRefundRequest", "DenyRefundRequest", "CancelRefundRequest", "PingppWebhook", "Reconcile",
            ],
            start.ArgumentList);
    }

    [Fact]
    public void Local_settings_carry_the_app_settings_as_app_setting_names_the_worker_runtime_the_test_host_json_and_the_secrets_folder()
    {
        var options = new RefundSystemOptions { StorageConnectionString = "UseDevelopmentStorage=true", BatchSize = 4, NewBatchThreshold = 2 };
        var tables = RefundSystem.UniqueTables("abc");
        var settings = RefundSystem.AppSettings(
            options, new Dictionary<string, string?> { ["Pingpp:ApiKey"] = "sk_test_x", ["Pingpp:ApiBase"] = "http://127.0.0.1:9" }, "PEM", "e2e-refunds-abc", tables, "e2e-abc");

        var json = FuncHostLauncher.LocalSettings(settings, RefundSystem.QueueOptions(options), RefundSystem.SingletonOptions, "/tmp/secrets-abc");

        Assert.False(json["IsEncrypted"]!.GetValue<bool>());
        var values = json["Values"]!.AsObject().ToDictionary(p => p.Key, p => p.Value?.GetValue<string>(), StringComparer.Ordinal);
        Assert.Equal("dotnet-isolated", values["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal("files", values["AzureWebJobsSecretStorageType"]);
        Assert.Equal("/tmp/secrets-abc", values["FUNCTIONS_SECRETS_PATH"]);
        Assert.Equal("UseDevelopmentStorage=true", values["AzureWebJobsStorage"]);
        Assert.Equal("sk_test_x", values["Pingpp__ApiKey"]);
        Assert.Equal("PEM", values["Pingpp__WebhookPublicKeys__0"]);
        Assert.Equal("e2e-refunds-abc", values["RefundRequestsQueue"]);
        Assert.Equal("e2e-abc", values["AzureFunctionsWebHost__hostid"]);
        Assert.Equal("e2eledabc", values["Storage__RefundLedgerTable"]);
        Assert.Equal("e2eidxabc", values["Storage__ReconcileIndexTable"]);
        Assert.Equal("e2eevtabc", values["Storage__WebhookEventsTable"]);
        Assert.Equal("e2edisabc", values["Storage__DiscrepanciesTable"]);
        Assert.Equal("e2eanoabc", values["Storage__AnomaliesTable"]);
        Assert.Equal("e2erixabc", values["Storage__RequestIndexTable"]);
        Assert.Equal("4", values["AzureFunctionsJobHost__extensions__queues__batchSize"]);
        Assert.Equal("2", values["AzureFunctionsJobHost__extensions__queues__newBatchThreshold"]);
        Assert.Equal("00:00:04", values["AzureFunctionsJobHost__extensions__queues__visibilityTimeout"]);
        Assert.Equal("none", values["AzureFunctionsJobHost__extensions__queues__messageEncoding"]);
        Assert.Equal("00:00:15", values["AzureFunctionsJobHost__singleton__listenerLockPeriod"]);
        Assert.DoesNotContain(values.Keys, k => k.Contains(':', StringComparison.Ordinal));
    }

    [Fact]
    public void The_host_json_overrides_follow_the_queue_encoding()
        => Assert.Equal("base64", FuncHostLauncher.HostJsonOverrides(new QueueHostOptions(), new SingletonHostOptions())["AzureFunctionsJobHost__extensions__queues__messageEncoding"]);

    [Fact]
    public void The_app_folder_is_the_function_build_output_with_the_generated_local_settings_beside_host_json()
    {
        var app = Path.Combine(_folder, "app");

        FuncHostLauncher.PrepareAppFolder(app, new JsonObject { ["IsEncrypted"] = false, ["Values"] = new JsonObject { ["A"] = "1" } });

        Assert.True(File.Exists(Path.Combine(app, "host.json")));
        Assert.True(File.Exists(Path.Combine(app, "functions.metadata")));
        Assert.True(File.Exists(Path.Combine(app, "Refunds.Functions.dll")));
        Assert.Equal("1", JsonNode.Parse(File.ReadAllText(Path.Combine(app, "local.settings.json")))!["Values"]!["A"]!.GetValue<string>());
        Assert.False(File.Exists(Path.Combine(FuncHostLauncher.FunctionsBuildOutput, "local.settings.json")), "the build output itself stays untouched");
    }

    [Fact]
    public void The_keys_handed_to_func_are_host_secrets_files_with_a_key_file_for_each_function_level_function()
    {
        var secrets = Path.Combine(_folder, "secrets");
        var functions = RefundSystem.FunctionsServed(new RefundSystemOptions { StorageConnectionString = "UseDevelopmentStorage=true" });

        var keys = SecretsFolder.LoadOrCreate(secrets, RefundSystem.FunctionLevel(functions), out var created);

        Assert.Equal(
            ["getorderrefund.json", "host.json", "listorderrefunds.json", "submitrefund.json"],
            created.Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(secrets, "host.json")))!;
        Assert.Equal(keys.MasterKey, host["masterKey"]!["value"]!.GetValue<string>());
        Assert.Equal(keys.HostKeys[SecretsFolder.DefaultKeyName], host["functionKeys"]![0]!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_func_that_exits_before_its_health_route_answers_fails_the_start_with_its_own_output()
    {
        Assert.False(OperatingSystem.IsWindows(), "the stand-in func is a shell script");
        var app = Directory.CreateDirectory(Path.Combine(_folder, "app")).FullName;
        var func = Path.Combine(_folder, "func");
        File.WriteAllText(func, "#!/bin/sh\necho \"in $(pwd): $*\"\necho 'no host here' >&2\nexit 3\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(func, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            FuncInstance.StartAsync(FuncHostLauncher.StartInfo(func, app, 7346, ["Health"]), new Uri("http://127.0.0.1:7346")));

        Assert.StartsWith("func exited with 3 before it answered /api/health:", failure.Message, StringComparison.Ordinal);
        Assert.Contains($"in {app}: start --port 7346 --enableAuth --no-build --functions Health", failure.Message, StringComparison.Ordinal);
        Assert.Contains("no host here", failure.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
