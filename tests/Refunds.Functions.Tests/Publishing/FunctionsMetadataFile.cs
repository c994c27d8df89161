using System.Text.Json;

namespace Refunds.Functions.Tests.Publishing;

/// <summary>A function as the Functions SDK declares it to the host in functions.metadata (its trigger binding only).</summary>
public sealed record DeclaredFunction(
    string Name, string Trigger, string? Route, IReadOnlyList<string> Methods, string? AuthLevel, string? QueueName, string? Schedule);

public static class FunctionsMetadataFile
{
    public static IReadOnlyList<DeclaredFunction> Read(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.EnumerateArray().Select(function =>
        {
            var trigger = function.GetProperty("bindings").EnumerateArray()
                .Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));
            return new DeclaredFunction(
                function.GetProperty("name").GetString()!,
                trigger.GetProperty("type").GetString()!,
                String(trigger, "route"),
                trigger.TryGetProperty("methods", out var methods) && methods.ValueKind == JsonValueKind.Array
                    ? methods.EnumerateArray().Select(m => m.GetString()!).ToList()
                    : [],
                String(trigger, "authLevel"),
                String(trigger, "queueName"),
                String(trigger, "schedule"));
        }).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
