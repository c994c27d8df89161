using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Refunds.Infra.Tests;

/// <summary>
/// Evaluates the small part of the ARM template expression language that our compiled templates use for values the
/// tests compare (variables, parameters, format, string, concat (strings or arrays), createArray, if, equals, copyIndex, environment, skip,
/// property and index access). Anything else throws, so a template change that the tests can no longer follow fails loudly.
/// </summary>
internal static class ArmExpression
{
    public static bool IsExpression(string text) =>
        text.StartsWith('[') && text.EndsWith(']') && !text.StartsWith("[[", StringComparison.Ordinal);

    public static JsonNode? Evaluate(JsonNode? value, TemplateScope scope, int? copyIndex = null)
    {
        switch (value)
        {
            case JsonValue v when v.TryGetValue<string>(out var text) && IsExpression(text):
                var parser = new Parser(text[1..^1], scope, copyIndex);
                var result = parser.ParseExpression();
                parser.ExpectEnd();
                return result;
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (key, member) in obj)
                {
                    copy[key] = Evaluate(member, scope, copyIndex);
                }

                return copy;
            case JsonArray array:
                return new JsonArray([.. array.Select(item => Evaluate(item, scope, copyIndex))]);
            default:
                return value?.DeepClone();
        }
    }

    public static string EvaluateString(JsonNode? value, TemplateScope scope, int? copyIndex = null) =>
        Evaluate(value, scope, copyIndex)?.GetValue<string>()
        ?? throw new InvalidOperationException($"{value} evaluated to null");

    private sealed class Parser(string text, TemplateScope scope, int? copyIndex)
    {
        private int _position;

        public void ExpectEnd()
        {
            SkipSpace();
            if (_position != text.Length)
            {
                throw new NotSupportedException($"Unexpected '{text[_position..]}' in [{text}]");
            }
        }

        public JsonNode? ParseExpression()
        {
            var value = ParsePrimary();
            while (true)
            {
                SkipSpace();
                if (TryTake('.'))
                {
                    var name = ReadIdentifier();
                    value = value?[name]?.DeepClone();
                }
                else if (TryTake('['))
                {
                    var index = ParseExpression();
                    Take(']');
                    value = (index is JsonValue iv && iv.TryGetValue<int>(out var i) ? value?[i] : value?[index!.GetValue<string>()])?.DeepClone();
                }
                else
                {
                    return value;
                }
            }
        }

        private JsonNode? ParsePrimary()
        {
            SkipSpace();
            if (TryTake('\''))
            {
                var builder = new StringBuilder();
                while (true)
                {
                    var c = text[_position++];
                    if (c == '\'')
                    {
                        if (_position < text.Length && text[_position] == '\'')
                        {
                            builder.Append('\'');
                            _position++;
                            continue;
                        }

                        return JsonValue.Create(builder.ToString());
                    }

                    builder.Append(c);
                }
            }

            if (char.IsDigit(text[_position]) || text[_position] == '-')
            {
                var start = _position++;
                while (_position < text.Length && char.IsDigit(text[_position]))
                {
                    _position++;
                }

                return JsonValue.Create(int.Parse(text[start.._position], CultureInfo.InvariantCulture));
            }

            var function = ReadIdentifier();
            Take('(');
            var arguments = new List<JsonNode?>();
            SkipSpace();
            if (!TryTake(')'))
            {
                do
                {
                    arguments.Add(ParseExpression());
                    SkipSpace();
                }
                while (TryTake(','));
                Take(')');
            }

            return Call(function, arguments);
        }

        private JsonNode? Call(string function, List<JsonNode?> args) => function.ToLowerInvariant() switch
        {
            "parameters" => scope.Parameter(args[0]!.GetValue<string>()),
            "variables" => scope.Variable(args[0]!.GetValue<string>()),
            "copyindex" => JsonValue.Create(copyIndex ?? throw new NotSupportedException("copyIndex() outside a copy loop")),
            "format" => JsonValue.Create(string.Format(
                CultureInfo.InvariantCulture,
                args[0]!.GetValue<string>(),
                [.. args.Skip(1).Select(Text)])),
            "concat" => args.All(a => a is JsonArray)
                ? new JsonArray([.. args.SelectMany(a => a!.AsArray()).Select(item => item?.DeepClone())])
                : JsonValue.Create(string.Concat(args.Select(Text))),
            "string" => JsonValue.Create(Text(args[0])),
            "length" => JsonValue.Create(args[0] switch
            {
                JsonArray a => a.Count,
                JsonObject o => o.Count,
                var other => Text(other).Length,
            }),
            "createobject" => new JsonObject(
                Enumerable.Range(0, args.Count / 2)
                    .Select(i => KeyValuePair.Create(args[2 * i]!.GetValue<string>(), args[(2 * i) + 1]?.DeepClone()))),
            "empty" => JsonValue.Create(args[0] switch
            {
                null => true,
                JsonArray a => a.Count == 0,
                JsonObject o => o.Count == 0,
                var other => Text(other).Length == 0,
            }),
            "not" => JsonValue.Create(!args[0]!.GetValue<bool>()),
            "and" => JsonValue.Create(args.All(a => a!.GetValue<bool>())),
            "or" => JsonValue.Create(args.Any(a => a!.GetValue<bool>())),
            "createarray" => new JsonArray([.. args.Select(a => a?.DeepClone())]),
            "environment" => scope.Cloud.DeepClone(),
            "skip" => JsonValue.Create(Text(args[0])[Math.Min(args[1]!.GetValue<int>(), Text(args[0]).Length)..]),
            "equals" => JsonValue.Create(JsonNode.DeepEquals(args[0], args[1])),
            "if" => (args[0]!.GetValue<bool>() ? args[1] : args[2])?.DeepClone(),
            "true" => JsonValue.Create(true),
            "false" => JsonValue.Create(false),
            _ => throw new NotSupportedException($"ARM function {function}() is not evaluated by the tests ([{text}])"),
        };

        private static string Text(JsonNode? node) => node switch
        {
            null => string.Empty,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v when v.TryGetValue<bool>(out var b) => b ? "True" : "False",
            _ => node.ToJsonString(),
        };

        private string ReadIdentifier()
        {
            SkipSpace();
            var start = _position;
            while (_position < text.Length && (char.IsLetterOrDigit(text[_position]) || text[_position] == '_'))
            {
                _position++;
            }

            if (start == _position)
            {
                throw new NotSupportedException($"Expected a name at {_position} in [{text}]");
            }

            return text[start.._position];
        }

        private void Take(char c)
        {
            if (!TryTake(c))
            {
                throw new NotSupportedException($"Expected '{c}' at {_position} in [{text}]");
            }
        }

        private bool TryTake(char c)
        {
            SkipSpace();
            if (_position < text.Length && text[_position] == c)
            {
                _position++;
                return true;
            }

            return false;
        }

        private void SkipSpace()
        {
            while (_position < text.Length && text[_position] == ' ')
            {
                _position++;
            }
        }
    }
}
