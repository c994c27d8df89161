using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Pingpp.Simulator.Tests;

/// <summary>The official Ping++ Node SDK (an independent client) against the in-process simulator.</summary>
public sealed class NodeSdkTests
{
    private static string Id(JsonNode node) => node["id"]!.GetValue<string>();

    [Fact]
    public async Task Official_node_sdk_refunds_with_the_right_keys()
    {
        await using var sim = await SimulatorHost.StartAsync(signed: true);
        var orderId = Id(await sim.SeedOrderAsync());

        var result = await RunSdkAsync(sim, orderId, SimulatorHost.ApiKey, VectorFiles.PathOf("merchant_sample_rsa_private_key_pkcs1.pem"));

        Assert.True(result["ok"]!.GetValue<bool>(), result.ToJsonString());
        var created = result["created"]!["data"]!.AsArray();
        Assert.Equal(2, created.Count);
        Assert.Equal("node-rq-1", result["retrieved"]!["metadata"]!["refund_request_id"]!.GetValue<string>());
        Assert.Equal(Id(created[0]!), Id(result["retrieved"]!));
        Assert.Equal(2, result["listed"]!["data"]!.AsArray().Count);
        Assert.Equal(2, (await sim.AdminRefundsAsync()).Count);
    }

    [Fact]
    public async Task Official_node_sdk_with_a_wrong_private_key_gets_an_authentication_error_and_refunds_nothing()
    {
        await using var sim = await SimulatorHost.StartAsync(signed: true);
        var orderId = Id(await sim.SeedOrderAsync());
        var wrongKey = Path.Combine(Path.GetTempPath(), $"wrong-merchant-key-{Guid.NewGuid():N}.pem");
        using (var rsa = RSA.Create(2048)) await File.WriteAllTextAsync(wrongKey, rsa.ExportRSAPrivateKeyPem());
        try
        {
            var result = await RunSdkAsync(sim, orderId, SimulatorHost.ApiKey, wrongKey);

            Assert.False(result["ok"]!.GetValue<bool>());
            Assert.Equal("PingppAuthenticationError", result["type"]!.GetValue<string>());
            Assert.Equal("提供了无效的签名", result["message"]!.GetValue<string>());
            Assert.Empty(await sim.AdminRefundsAsync());
        }
        finally
        {
            File.Delete(wrongKey);
        }
    }

    [Fact]
    public async Task Official_node_sdk_with_a_wrong_api_key_gets_an_authentication_error()
    {
        await using var sim = await SimulatorHost.StartAsync(signed: true);
        var orderId = Id(await sim.SeedOrderAsync());

        var result = await RunSdkAsync(sim, orderId, "sk_test_notTheRightKey00000000", VectorFiles.PathOf("merchant_sample_rsa_private_key_pkcs1.pem"));

        Assert.False(result["ok"]!.GetValue<bool>());
        Assert.Equal("PingppAuthenticationError", result["type"]!.GetValue<string>());
        Assert.Empty(await sim.AdminRefundsAsync());
    }

    private static async Task<JsonNode> RunSdkAsync(SimulatorHost sim, string orderId, string apiKey, string privateKeyPath)
    {
        var nodeModules = FindNodeModules();
        var start = new ProcessStartInfo("node", Path.Combine(AppContext.BaseDirectory, "node", "sdk-client.js"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["NODE_PATH"] = nodeModules;
        start.Environment["SIM_HOST"] = sim.BaseAddress.Host;
        start.Environment["SIM_PORT"] = sim.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["PINGPP_API_KEY"] = apiKey;
        start.Environment["PINGPP_PRIVATE_KEY_PATH"] = privateKeyPath;
        start.Environment["ORDER_ID"] = orderId;
        start.Environment["REQUEST_ID"] = "node-rq-1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var output = (await stdout).Trim();
        Assert.True(output.Length > 0, $"node printed nothing (exit {process.ExitCode}): {await stderr}");
        return JsonNode.Parse(output.Split('\n')[^1])!;
    }

    /// <summary>The repository's node_modules (scripts/test.sh runs npm ci there).</summary>
    private static string FindNodeModules()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "package.json")) && File.Exists(Path.Combine(dir.FullName, "Refunds.Functions.sln")))
            {
                var modules = Path.Combine(dir.FullName, "node_modules");
                Assert.True(Directory.Exists(Path.Combine(modules, "pingpp")),
                    $"{modules}/pingpp is missing: run `npm ci` in {dir.FullName} (scripts/test.sh does) to install the Ping++ Node SDK");
                return modules;
            }
        }
        throw new InvalidOperationException("repository root (package.json + Refunds.Functions.sln) not found above " + AppContext.BaseDirectory);
    }
}
