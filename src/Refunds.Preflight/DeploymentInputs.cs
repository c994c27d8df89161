using System.Text.Json;
using System.Text.Json.Nodes;

namespace Refunds.Preflight;

/// <summary>
/// The compiled template and the parameter values a deployment would get: main.parameters.json after azd's substitution,
/// typed, then round-tripped through <c>bicep decompile-params</c> + <c>bicep build-params</c>, which type-checks every
/// value against main.bicep offline.
/// </summary>
public sealed class DeploymentInputs
{
    private DeploymentInputs(JsonObject template, IReadOnlyList<string> templateDiagnostics)
    {
        Template = template;
        TemplateDiagnostics = templateDiagnostics;
    }

    public JsonObject Template { get; }

    public IReadOnlyList<string> TemplateDiagnostics { get; }

    /// <summary>Null when the substituted parameters file is not JSON (<see cref="ParametersError"/> says why).</summary>
    public JsonObject? Parameters { get; private set; }

    public string? ParametersError { get; private set; }

    public IReadOnlyList<string> ParameterDiagnostics { get; private set; } = [];

    /// <summary>Parameter → the azd variable main.parameters.json fills it from.</summary>
    public IReadOnlyDictionary<string, string> VariableOf { get; private set; } = new Dictionary<string, string>();

    public static DeploymentInputs Load(BicepCommand bicep, string infraDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var work = Directory.CreateTempSubdirectory("refunds-preflight-");
        try
        {
            var mainBicep = Path.Combine(infraDirectory, "main.bicep");
            var templateFile = Path.Combine(work.FullName, "main.json");
            var build = bicep.Run(infraDirectory, "build", mainBicep, "--outfile", templateFile);
            var template = File.Exists(templateFile) ? JsonNode.Parse(File.ReadAllText(templateFile))!.AsObject() : [];
            var inputs = new DeploymentInputs(template, build.Clean ? [] : [.. build.Diagnostics.DefaultIfEmpty(build.StandardError.Trim())]);

            var rawParameters = File.ReadAllText(Path.Combine(infraDirectory, "main.parameters.json"));
            inputs.VariableOf = AzdParameters.VariablesByParameter(rawParameters);
            JsonObject substituted;
            try
            {
                substituted = JsonNode.Parse(AzdParameters.Substitute(rawParameters, environment))!.AsObject();
            }
            catch (JsonException e)
            {
                inputs.ParametersError = e.Message;
                return inputs;
            }

            var typed = AzdParameters.WithDeclaredTypes(substituted, template);
            var typedFile = Path.Combine(work.FullName, "main.parameters.json");
            File.WriteAllText(typedFile, typed.ToJsonString());
            var paramFile = Path.Combine(work.FullName, "main.bicepparam");
            var builtFile = Path.Combine(work.FullName, "main.parameters.built.json");
            var decompiled = bicep.Run(work.FullName, "decompile-params", typedFile, "--bicep-file", mainBicep, "--outfile", paramFile, "--force");
            var built = bicep.Run(work.FullName, "build-params", paramFile, "--outfile", builtFile);
            // The .bicepparam is a temporary file: name the values instead of its line numbers.
            inputs.ParameterDiagnostics = [.. decompiled.Diagnostics.Concat(built.Diagnostics)
                .Select(d => d.Replace(paramFile, "your values", StringComparison.Ordinal))];
            inputs.Parameters = File.Exists(builtFile) && built.ExitCode == 0
                ? JsonNode.Parse(File.ReadAllText(builtFile))!["parameters"]!.AsObject()
                : typed["parameters"]!.AsObject();
            return inputs;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>The value a parameter gets: from the parameters, else the template's literal default, else null.</summary>
    public JsonNode? Value(string parameter)
    {
        if (Parameters?[parameter]?["value"] is { } given)
        {
            return given;
        }

        var declared = Template["parameters"]?[parameter]?["defaultValue"];
        return declared is JsonValue v && v.TryGetValue<string>(out var text) && text.StartsWith('[') ? null : declared;
    }

    public string Text(string parameter) => Value(parameter)?.ToString() ?? string.Empty;

    /// <summary>The value as a number, or null when it is missing or not a number (build-params then says why).</summary>
    public long? Number(string parameter) =>
        Value(parameter) is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number ? v.GetValue<long>() : null;

    /// <summary>True only for a real JSON true (a text "true" is not converted here).</summary>
    public bool Flag(string parameter) => Value(parameter) is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.True;

    /// <summary>Every JSON object in the compiled template (nested deployments included) whose type is <paramref name="type"/>.</summary>
    public IReadOnlyList<JsonObject> ResourcesOfType(string type)
    {
        var found = new List<JsonObject>();
        Walk(Template, found, type);
        return found;
    }

    /// <summary>Every string in the compiled template, for literal checks.</summary>
    public IEnumerable<string> Strings() => Strings(Template);

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };

    private static void Walk(JsonNode? node, List<JsonObject> found, string type)
    {
        switch (node)
        {
            case JsonObject o:
                if (o["type"] is JsonValue t && t.TryGetValue<string>(out var name) && string.Equals(name, type, StringComparison.OrdinalIgnoreCase))
                {
                    found.Add(o);
                }

                foreach (var (_, child) in o)
                {
                    Walk(child, found, type);
                }

                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    Walk(child, found, type);
                }

                break;
        }
    }
}
