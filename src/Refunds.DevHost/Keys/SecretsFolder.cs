using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Refunds.DevHost.Keys;

/// <summary>
/// The keys of a function app, read from (and on first start written to) a secrets folder in the Functions host's
/// file format: <c>host.json</c> with <c>masterKey</c>, <c>functionKeys</c> and <c>systemKeys</c>, and
/// <c>&lt;function&gt;.json</c> (lower case) with the <c>keys</c> of one function; each key is
/// <c>{ "name", "value", "encrypted" }</c>. Like the host, a missing file is generated with a <c>default</c> key
/// (and the master key); an existing file is never rewritten.
/// </summary>
public static class SecretsFolder
{
    public const string HostFileName = "host.json";
    public const string DefaultKeyName = "default";

    /// <summary>Where keys live when <c>--secrets</c> is not given: <c>.local/secrets</c> in the repository (else the current folder).</summary>
    public static string DefaultPath() => Path.Combine(RepositoryRoot.Find() ?? Directory.GetCurrentDirectory(), ".local", "secrets");

    /// <summary>Reads the folder, creating what is missing: host.json, and a file for each function that needs a function key.</summary>
    public static FunctionKeys LoadOrCreate(string folder, IEnumerable<string> functionNames, out IReadOnlyList<string> created)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        var hostPath = Path.Combine(folder, HostFileName);
        if (!File.Exists(hostPath))
        {
            Write(hostPath, new JsonObject
            {
                ["masterKey"] = KeyNode("master", NewKey()),
                ["functionKeys"] = new JsonArray(KeyNode(DefaultKeyName, NewKey())),
                ["systemKeys"] = new JsonArray(),
                ["hostName"] = "localhost",
                ["instanceId"] = Guid.NewGuid().ToString("N"),
                ["source"] = "runtime",
                ["decryptionKeyId"] = "",
            });
            written.Add(hostPath);
        }

        using var host = Parse(hostPath);
        var master = ReadKey(host.RootElement, "masterKey", hostPath)
            ?? throw new InvalidOperationException($"{hostPath}: masterKey is missing.");
        var hostKeys = ReadKeys(host.RootElement, "functionKeys", hostPath);
        var systemKeys = ReadKeys(host.RootElement, "systemKeys", hostPath);

        var perFunction = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in functionNames.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var path = Path.Combine(folder, name.ToLowerInvariant() + ".json");
            if (!File.Exists(path))
            {
                Write(path, new JsonObject
                {
                    ["keys"] = new JsonArray(KeyNode(DefaultKeyName, NewKey())),
                    ["hostName"] = "localhost",
                    ["instanceId"] = Guid.NewGuid().ToString("N"),
                    ["source"] = "runtime",
                    ["decryptionKeyId"] = "",
                });
                written.Add(path);
            }

            using var document = Parse(path);
            perFunction[name] = ReadKeys(document.RootElement, "keys", path);
        }

        created = written;
        return new FunctionKeys(master.Value, hostKeys, systemKeys, perFunction);
    }

    /// <summary>A new key: 40 random bytes, base64url without padding (safe in a query string as <c>?code=</c>).</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(40)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static JsonObject KeyNode(string name, string value) => new() { ["name"] = name, ["value"] = value, ["encrypted"] = false };

    private static void Write(string path, JsonObject content)
    {
        // Written whole to a temporary file, then moved: a second instance starting at the same moment reads a
        // complete file (the first one to move wins, as with the host's blob-backed secrets).
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temporary, content.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
        }
    }

    private static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"{path} is not valid JSON ({e.Message}); fix it or delete it to have new keys generated.", e);
        }
    }

    private static IReadOnlyDictionary<string, string> ReadKeys(JsonElement root, string property, string path)
    {
        var keys = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (!root.TryGetProperty(property, out var array) || array.ValueKind == JsonValueKind.Null)
        {
            return keys;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidOperationException($"{path}: {property} must be an array of {{ \"name\", \"value\" }}.");
        }

        foreach (var item in array.EnumerateArray())
        {
            var key = ToKey(item, $"{property}[]", path);
            keys[key.Name] = key.Value;
        }

        return keys;
    }

    private static (string Name, string Value)? ReadKey(JsonElement root, string property, string path)
        => root.TryGetProperty(property, out var element) && element.ValueKind == JsonValueKind.Object ? ToKey(element, property, path) : null;

    private static (string Name, string Value) ToKey(JsonElement element, string where, string path)
    {
        if (element.ValueKind != JsonValueKind.Object
            || !element.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
            || !element.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.String || value.GetString()!.Length == 0)
        {
            throw new InvalidOperationException($"{path}: every key in {where} needs a \"name\" and a non-empty \"value\".");
        }

        if (element.TryGetProperty("encrypted", out var encrypted) && encrypted.ValueKind == JsonValueKind.True)
        {
            // Encrypted keys are sealed with the App Service machine key, which exists only on Azure.
            throw new InvalidOperationException($"{path}: key '{name.GetString()}' is encrypted; the local host reads only unencrypted keys (\"encrypted\": false).");
        }

        return (name.GetString()!, value.GetString()!);
    }
}
