using System.Text.Json.Nodes;
using Refunds.Preflight;

namespace Refunds.Infra.Tests;

/// <summary>infra/main.bicep compiled once to ARM JSON, with every resource of every nested module.</summary>
internal sealed class CompiledTemplate
{
    private static readonly Lazy<CompiledTemplate> Main = new(() => Compile(RepositoryPaths.MainBicep));

    private CompiledTemplate(string json, BicepOutput build)
    {
        Json = json;
        Build = build;
        Root = JsonNode.Parse(json)!.AsObject();
        RootScope = new TemplateScope(Root, new Dictionary<string, (JsonNode?, TemplateScope?)>());
        Resources = [.. Walk(RootScope, "main")];
    }

    public static CompiledTemplate ForMain => Main.Value;

    public string Json { get; }

    public BicepOutput Build { get; }

    public JsonObject Root { get; }

    public TemplateScope RootScope { get; }

    public IReadOnlyList<TemplateResource> Resources { get; }

    public IReadOnlyList<TemplateResource> OfType(string type) =>
        [.. Resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase))];

    public TemplateResource Single(string type)
    {
        var matches = OfType(type);
        Assert.True(matches.Count == 1, $"Expected exactly one {type}, found {matches.Count}");
        return matches[0];
    }

    /// <summary>The scope of the nested deployment (module) with this name.</summary>
    public TemplateScope Module(string name) =>
        Resources.Single(r => r.Type == "Microsoft.Resources/deployments" && r.Name == name).NestedScope!;

    /// <summary>The main template's scope with some parameters given, as a deployment would pass them.</summary>
    public TemplateScope RootWith(params (string Name, object Value)[] parameters) =>
        new(Root, parameters.ToDictionary(p => p.Name, p => ((JsonNode?)JsonValue.Create(p.Value), (TemplateScope?)RootScope)));

    /// <summary>The value main passes to a module's parameter, evaluated in the given main scope.</summary>
    public JsonNode? ModuleParameter(TemplateScope root, string module, string parameter)
    {
        var supplied = Resources.Single(r => r.Type == "Microsoft.Resources/deployments" && r.Name == module)
            .Json["properties"]!["parameters"]![parameter]!;
        return supplied is JsonObject plain
            ? root.Evaluate(plain["value"])
            : root.Evaluate(JsonValue.Create($"[{supplied.GetValue<string>()[1..^1]}.value]"));
    }

    /// <summary>The expression text main passes to a module's parameter.</summary>
    public string ModuleParameterRaw(string module, string parameter)
    {
        var resource = Resources.Single(r => r.Type == "Microsoft.Resources/deployments" && r.Name == module);
        return resource.Json["properties"]!["parameters"]![parameter] is JsonObject
            ? resource.Raw("properties", "parameters", parameter, "value")
            : resource.Raw("properties", "parameters", parameter);
    }

    private static CompiledTemplate Compile(string bicepFile)
    {
        var outDir = Directory.CreateTempSubdirectory("refunds-infra-");
        try
        {
            var outFile = Path.Combine(outDir.FullName, "main.json");
            var build = BicepCli.Run("build", bicepFile, "--outfile", outFile);
            return new CompiledTemplate(File.Exists(outFile) ? File.ReadAllText(outFile) : "{}", build);
        }
        finally
        {
            outDir.Delete(recursive: true);
        }
    }

    private static IEnumerable<TemplateResource> Walk(TemplateScope scope, string path)
    {
        var resources = scope.Template["resources"];
        IEnumerable<JsonObject> items = resources switch
        {
            JsonArray array => array.Select(r => r!.AsObject()),
            JsonObject symbolic => symbolic.Select(pair => pair.Value!.AsObject()),
            _ => [],
        };

        foreach (var resource in items)
        {
            if (resource["existing"]?.GetValue<bool>() == true)
            {
                continue;
            }

            var type = resource["type"]!.GetValue<string>();
            TemplateScope? nested = null;
            if (type == "Microsoft.Resources/deployments")
            {
                var parameters = new Dictionary<string, (JsonNode?, TemplateScope?)>();
                if (resource["properties"]!["parameters"] is JsonObject supplied)
                {
                    foreach (var (name, wrapper) in supplied)
                    {
                        // A conditional module parameter compiles to one expression that yields { value: ... }.
                        parameters[name] = wrapper is JsonObject plain
                            ? (plain["value"], scope)
                            : (JsonValue.Create($"[{wrapper!.GetValue<string>()[1..^1]}.value]"), scope);
                    }
                }

                nested = new TemplateScope(resource["properties"]!["template"]!.AsObject(), parameters);
            }

            var item = new TemplateResource(type, resource, scope, nested, path);
            yield return item;
            if (nested is not null)
            {
                foreach (var inner in Walk(nested, $"{path}/{item.Name}"))
                {
                    yield return inner;
                }
            }
        }
    }
}

internal sealed record TemplateResource(string Type, JsonObject Json, TemplateScope Scope, TemplateScope? NestedScope, string ModulePath)
{
    private static readonly System.Text.Json.JsonSerializerOptions RawOptions =
        new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The resource's name as written (literal, or the expression text).</summary>
    public string Name => Json["name"]!.GetValue<string>();

    public JsonNode? Properties => Json["properties"];

    public string Raw(params string[] path)
    {
        JsonNode? node = Json;
        foreach (var step in path)
        {
            node = node?[step];
        }

        return node switch
        {
            null => "null",
            JsonValue value when value.TryGetValue<string>(out var text) => text,
            _ => node.ToJsonString(RawOptions),
        };
    }
}

/// <summary>One template (main or a module) with the parameter values its caller passes, evaluated on demand.</summary>
internal sealed class TemplateScope(
    JsonObject template,
    IReadOnlyDictionary<string, (JsonNode? Value, TemplateScope? Caller)> supplied,
    JsonObject? cloud = null)
{
    public JsonObject Template { get; } = template;

    /// <summary>What <c>environment()</c> returns: the public cloud unless a test picks another (<see cref="InCloud"/>).</summary>
    public JsonObject Cloud { get; } = cloud ?? Clouds.AzureCloud;

    /// <summary>The same template and parameters, deployed to another cloud.</summary>
    public TemplateScope InCloud(JsonObject environment) => new(Template, supplied, environment);

    public JsonNode? Variable(string name)
    {
        var variables = Template["variables"]?.AsObject()
            ?? throw new InvalidOperationException("The template has no variables");
        if (!variables.TryGetPropertyValue(name, out var raw))
        {
            throw new InvalidOperationException($"No variable {name}");
        }

        return ArmExpression.Evaluate(raw, this);
    }

    public JsonNode? Parameter(string name)
    {
        if (supplied.TryGetValue(name, out var given))
        {
            return ArmExpression.Evaluate(given.Value, given.Caller!);
        }

        var declaration = Template["parameters"]?[name]
            ?? throw new InvalidOperationException($"No parameter {name}");
        if (declaration.AsObject().TryGetPropertyValue("defaultValue", out var defaultValue))
        {
            return ArmExpression.Evaluate(defaultValue, this);
        }

        throw new InvalidOperationException($"Parameter {name} has no value and no default");
    }

    public JsonNode? Evaluate(JsonNode? value, int? copyIndex = null) => ArmExpression.Evaluate(value, this, copyIndex);
}
