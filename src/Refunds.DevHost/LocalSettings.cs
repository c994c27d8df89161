using System.Text.Json;

namespace Refunds.DevHost;

/// <summary>
/// The <c>Values</c> (and <c>ConnectionStrings</c>) of a local.settings.json, as configuration keys. <c>func start</c>
/// turns them into environment variables, so <c>A__B</c> means section <c>A:B</c> here too.
/// </summary>
public static class LocalSettings
{
    public const string FileName = "local.settings.json";

    /// <summary>An explicit path, else the current directory, else the repository root; null when there is none.</summary>
    public static string? Locate(string? explicitPath)
    {
        if (explicitPath is not null)
        {
            return File.Exists(explicitPath)
                ? Path.GetFullPath(explicitPath)
                : throw new FileNotFoundException($"--settings: {explicitPath} does not exist.", explicitPath);
        }

        var here = Path.Combine(Directory.GetCurrentDirectory(), FileName);
        if (File.Exists(here))
        {
            return here;
        }

        var root = RepositoryRoot.Find();
        return root is not null && File.Exists(Path.Combine(root, FileName)) ? Path.Combine(root, FileName) : null;
    }

    public static Dictionary<string, string?> Read(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (document.RootElement.TryGetProperty("Values", out var values) && values.ValueKind == JsonValueKind.Object)
        {
            foreach (var value in values.EnumerateObject())
            {
                settings[value.Name.Replace("__", ":", StringComparison.Ordinal)] = AsString(value.Value);
            }
        }

        if (document.RootElement.TryGetProperty("ConnectionStrings", out var connectionStrings) && connectionStrings.ValueKind == JsonValueKind.Object)
        {
            foreach (var value in connectionStrings.EnumerateObject())
            {
                settings[$"ConnectionStrings:{value.Name}"] = AsString(value.Value);
            }
        }

        return settings;
    }

    private static string? AsString(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null => null,
        _ => value.GetRawText(),
    };
}
