using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Refunds.DevHost;
using Refunds.Functions.Tests;

namespace Refunds.EndToEndTests.Support;

/// <summary>
/// How the end-to-end tests start the app on Azure Functions Core Tools: a copy of src/Refunds.Functions' build output
/// (host.json, functions.metadata and the worker) with a generated local.settings.json, and
/// <c>func start --port N --enableAuth --no-build --functions …</c> run in that folder. Keys enforced as on Azure:
/// Core Tools does not enforce authorization locally unless started with <c>--enableAuth</c>; the keys are the same
/// host-secrets files the local host reads, handed to the host with <c>AzureWebJobsSecretStorageType=files</c> and
/// <c>FUNCTIONS_SECRETS_PATH</c> (docs/local-host.md says which of this Microsoft documents).
/// </summary>
public static class FuncHostLauncher
{
    public const string LocalSettingsFileName = "local.settings.json";

    /// <summary>The build of src/Refunds.Functions the tests were built with (what <c>func</c> runs).</summary>
    public static string FunctionsBuildOutput =>
        Path.Combine(RepositoryPaths.FunctionsProject, "bin", RepositoryPaths.Configuration, "net10.0");

    /// <summary>
    /// The local.settings.json of the run: the app's settings (configuration keys with <c>:</c> written as the
    /// app-setting names with <c>__</c>), the isolated worker runtime, the host.json values the test overrides (as
    /// <c>AzureFunctionsJobHost__…</c> settings) and the secrets folder.
    /// </summary>
    public static JsonObject LocalSettings(IReadOnlyDictionary<string, string?> appSettings, QueueHostOptions queues, SingletonHostOptions singleton, string secretsPath)
    {
        var values = new JsonObject();
        foreach (var (key, value) in appSettings.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            values[AppSettingName(key)] = value;
        }

        values["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated";
        values["AzureWebJobsSecretStorageType"] = "files";
        values["FUNCTIONS_SECRETS_PATH"] = secretsPath;
        foreach (var (key, value) in HostJsonOverrides(queues, singleton))
        {
            values[key] = value;
        }

        return new JsonObject { ["IsEncrypted"] = false, ["Values"] = values };
    }

    /// <summary>The test's host.json values as app settings, which the Functions host reads over host.json.</summary>
    public static IReadOnlyDictionary<string, string> HostJsonOverrides(QueueHostOptions queues, SingletonHostOptions singleton) => new Dictionary<string, string>
    {
        ["AzureFunctionsJobHost__extensions__queues__batchSize"] = queues.BatchSize.ToString(CultureInfo.InvariantCulture),
        ["AzureFunctionsJobHost__extensions__queues__newBatchThreshold"] = queues.NewBatchThreshold.ToString(CultureInfo.InvariantCulture),
        ["AzureFunctionsJobHost__extensions__queues__maxDequeueCount"] = queues.MaxDequeueCount.ToString(CultureInfo.InvariantCulture),
        ["AzureFunctionsJobHost__extensions__queues__visibilityTimeout"] = queues.VisibilityTimeout.ToString("c", CultureInfo.InvariantCulture),
        ["AzureFunctionsJobHost__extensions__queues__maxPollingInterval"] = queues.MaxPollingInterval.ToString("c", CultureInfo.InvariantCulture),
        ["AzureFunctionsJobHost__extensions__queues__messageEncoding"] = queues.MessageEncoding == QueueMessageEncoding.None ? "none" : "base64",
        ["AzureFunctionsJobHost__singleton__listenerLockPeriod"] = singleton.ListenerLockPeriod.ToString("c", CultureInfo.InvariantCulture),
        ["AzureFunctionsJobHost__singleton__listenerLockRecoveryPollingInterval"] = singleton.ListenerLockRecoveryPollingInterval.ToString("c", CultureInfo.InvariantCulture),
    };

    /// <summary><c>func start</c> in <paramref name="appFolder"/> on <paramref name="port"/>, keys enforced, serving only <paramref name="functions"/>.</summary>
    public static ProcessStartInfo StartInfo(string funcPath, string appFolder, int port, IReadOnlyCollection<string> functions)
    {
        var start = new ProcessStartInfo(funcPath)
        {
            WorkingDirectory = appFolder,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "start", "--port", port.ToString(CultureInfo.InvariantCulture), "--enableAuth", "--no-build", "--functions" }.Concat(functions))
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    /// <summary>Copies the build output into <paramref name="appFolder"/> and writes its local.settings.json there.</summary>
    public static void PrepareAppFolder(string appFolder, JsonObject localSettings)
    {
        var source = FunctionsBuildOutput;
        if (!File.Exists(Path.Combine(source, "functions.metadata")))
        {
            throw new InvalidOperationException($"{source} holds no functions.metadata: build src/Refunds.Functions ({RepositoryPaths.Configuration}) first.");
        }

        CopyFolder(source, appFolder);
        File.WriteAllText(Path.Combine(appFolder, LocalSettingsFileName), localSettings.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>A configuration key (<c>Pingpp:ApiKey</c>) as the app-setting name the host turns back into it (<c>Pingpp__ApiKey</c>).</summary>
    public static string AppSettingName(string configurationKey) => configurationKey.Replace(":", "__", StringComparison.Ordinal);

    private static void CopyFolder(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination, overwrite: true);
        }
    }
}
