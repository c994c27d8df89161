using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Refunds.Preflight;

/// <summary>
/// What azd does to <c>infra/main.parameters.json</c> before a deployment: it pastes each <c>${NAME}</c> /
/// <c>${NAME=default}</c> as raw text (no JSON escaping), parses the result as JSON, and hands int and bool parameters
/// their declared types. A value with a line break or a quote therefore breaks the JSON, which is why multi-line values
/// travel as base64 (docs/deploy.md).
/// </summary>
public static partial class AzdParameters
{
    /// <summary>Replaces every placeholder; an unset name takes its default, or the empty string.</summary>
    public static string Substitute(string text, IReadOnlyDictionary<string, string> environment) =>
        Placeholder().Replace(text, match =>
            environment.TryGetValue(match.Groups["name"].Value, out var value)
                ? value
                : match.Groups["default"].Success ? match.Groups["default"].Value : string.Empty);

    /// <summary>The azd variable names a parameters file refers to, by parameter name.</summary>
    public static IReadOnlyDictionary<string, string> VariablesByParameter(string text)
    {
        var file = JsonNode.Parse(Placeholder().Replace(text, m => m.Groups["name"].Value))!.AsObject();
        return file["parameters"]!.AsObject()
            .Select(p => (p.Key, Value: p.Value?["value"]?.ToString() ?? string.Empty))
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
    }

    /// <summary>
    /// Gives int and bool parameters the type the template declares (azd passes them as text in the file). A value
    /// that does not convert stays text, so <c>bicep build-params</c> reports it against the declaration.
    /// </summary>
    public static JsonObject WithDeclaredTypes(JsonObject parametersFile, JsonObject template)
    {
        var result = parametersFile.DeepClone().AsObject();
        var declared = template["parameters"]?.AsObject() ?? [];
        foreach (var (name, wrapper) in result["parameters"]!.AsObject())
        {
            if (wrapper?["value"] is not JsonValue value || !value.TryGetValue<string>(out var text))
            {
                continue;
            }

            var type = declared[name]?["type"]?.GetValue<string>();
            if (type == "int" && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
            {
                wrapper["value"] = number;
            }
            else if (type == "bool" && bool.TryParse(text, out var flag))
            {
                wrapper["value"] = flag;
            }
        }

        return result;
    }

    /// <summary>Reads an azd <c>.env</c> file (<c>NAME="value"</c> lines, double-quoted values with backslash escapes).</summary>
    public static Dictionary<string, string> ReadDotEnv(string path)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (line.Length == 0 || line.StartsWith('#') || equals <= 0)
            {
                continue;
            }

            var value = line[(equals + 1)..].Trim();
            values[line[..equals].Trim()] = value.Length >= 2 && value[0] == '"' && value[^1] == '"'
                ? Unescape(value[1..^1])
                : value.Length >= 2 && value[0] == '\'' && value[^1] == '\'' ? value[1..^1] : value;
        }

        return values;
    }

    private static string Unescape(string quoted)
    {
        var builder = new StringBuilder(quoted.Length);
        for (var i = 0; i < quoted.Length; i++)
        {
            if (quoted[i] == '\\' && i + 1 < quoted.Length)
            {
                i++;
                builder.Append(quoted[i] switch { 'n' => '\n', 'r' => '\r', _ => quoted[i] });
            }
            else
            {
                builder.Append(quoted[i]);
            }
        }

        return builder.ToString();
    }

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(=(?<default>[^}]*))?\}")]
    private static partial Regex Placeholder();
}
