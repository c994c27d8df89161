using System.Reflection;
using System.Text.RegularExpressions;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Azure.Functions.Worker;

namespace Refunds.DevHost;

public abstract record FunctionTrigger;

/// <summary><paramref name="Methods"/> empty = every method. <paramref name="Route"/> is without the route prefix.</summary>
public sealed record HttpFunctionTrigger(AuthorizationLevel AuthLevel, IReadOnlyList<string> Methods, string Route) : FunctionTrigger;

/// <summary>Names as written in the attribute, <c>%SETTING%</c> unresolved.</summary>
public sealed record QueueFunctionTrigger(string QueueName, string? Connection) : FunctionTrigger;

public sealed record TimerFunctionTrigger(string Schedule, bool RunOnStartup) : FunctionTrigger;

/// <summary>One <c>[Function]</c> method and the trigger it declares.</summary>
public sealed record FunctionDescriptor(string Name, Type Type, MethodInfo Method, FunctionTrigger Trigger)
{
    public override string ToString() => $"{Name} ({Type.FullName}.{Method.Name})";
}

/// <summary>
/// Finds the function methods of an assembly the way the Functions SDK's metadata generator does, and refuses at
/// startup any parameter or return type the dev host cannot supply, so no function is silently left out.
/// </summary>
public static partial class FunctionCatalog
{
    /// <summary>Route segments the Functions host keeps for itself (<c>/admin</c> APIs, <c>/runtime</c> webhooks).</summary>
    public static readonly IReadOnlyList<string> ReservedRoutePrefixes = ["admin", "runtime"];

    public static IReadOnlyList<FunctionDescriptor> Discover(Assembly assembly)
    {
        var functions = new List<FunctionDescriptor>();
        foreach (var type in assembly.GetTypes())
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (method.GetCustomAttribute<FunctionAttribute>() is { } function)
                {
                    functions.Add(Describe(function.Name, type, method));
                }
            }
        }

        var duplicate = functions.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Function name '{duplicate.Key}' is used by {string.Join(" and ", duplicate)}.");
        }

        return functions.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Replaces every <c>%NAME%</c> with the app setting NAME, as the Functions host does for trigger properties.</summary>
    public static string ResolveSettings(string expression, Func<string, string?> setting, string context) =>
        SettingReference().Replace(expression, match =>
        {
            var name = match.Groups[1].Value;
            var value = setting(name);
            return string.IsNullOrWhiteSpace(value)
                ? throw new InvalidOperationException($"{context}: '{expression}' refers to the app setting {name}, which is not set.")
                : value;
        });

    private static FunctionDescriptor Describe(string name, Type type, MethodInfo method)
    {
        var triggers = method.GetParameters()
            .Select(p => (Parameter: p, Attribute: p.GetCustomAttributes().FirstOrDefault(a =>
                a is HttpTriggerAttribute or QueueTriggerAttribute or TimerTriggerAttribute)))
            .Where(p => p.Attribute is not null)
            .ToList();
        if (triggers.Count != 1)
        {
            throw Unsupported(name, method, "needs exactly one HttpTrigger, QueueTrigger or TimerTrigger parameter");
        }

        if (method.ReturnParameter.GetCustomAttributes().Any(a => a.GetType().Name.EndsWith("OutputAttribute", StringComparison.Ordinal)) ||
            method.GetCustomAttributes().Any(a => a.GetType().Name.EndsWith("OutputAttribute", StringComparison.Ordinal)))
        {
            throw Unsupported(name, method, "uses an output binding; inject a client instead");
        }

        var (trigger, attribute) = triggers[0];
        FunctionTrigger description = attribute switch
        {
            HttpTriggerAttribute http => DescribeHttp(name, method, trigger, http),
            QueueTriggerAttribute queue => DescribeQueue(name, method, trigger, queue),
            TimerTriggerAttribute timer => DescribeTimer(name, method, trigger, timer),
            _ => throw new InvalidOperationException("unreachable"),
        };
        return new FunctionDescriptor(name, type, method, description);
    }

    private static HttpFunctionTrigger DescribeHttp(string name, MethodInfo method, ParameterInfo trigger, HttpTriggerAttribute http)
    {
        if (trigger.ParameterType != typeof(HttpRequest))
        {
            throw Unsupported(name, method, $"HTTP trigger parameter '{trigger.Name}' must be HttpRequest");
        }

        var route = (http.Route ?? name).Trim('/');
        // The Functions host reserves these for its own APIs and refuses such functions ("The specified route
        // conflicts with one or more built in routes"), even under the /api prefix: refuse them here too.
        if (ReservedRoutePrefixes.Any(prefix => route.Equals(prefix, StringComparison.OrdinalIgnoreCase)
            || route.StartsWith(prefix + "/", StringComparison.OrdinalIgnoreCase)))
        {
            throw Unsupported(name, method, $"route '{route}' starts with a segment the Functions host reserves ({string.Join(", ", ReservedRoutePrefixes)})");
        }

        // Parameters are told apart by position, not by reference: concurrent first reflection over a method can hand
        // out two different ParameterInfo instances for the same parameter.
        var routeParameters = RoutePatternFactory.Parse(route).Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in method.GetParameters().Where(p => p.Position != trigger.Position && p.ParameterType != typeof(CancellationToken)))
        {
            if (!routeParameters.Contains(parameter.Name!))
            {
                throw Unsupported(name, method, $"parameter '{parameter.Name}' is neither a route parameter of '{route}' nor a CancellationToken");
            }
        }

        var returnType = method.ReturnType;
        var result = returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>) ? returnType.GetGenericArguments()[0] : returnType;
        if (result != typeof(void) && result != typeof(Task) && !typeof(IActionResult).IsAssignableFrom(result))
        {
            throw Unsupported(name, method, "must return IActionResult, Task<IActionResult>, Task or void");
        }

        return new HttpFunctionTrigger(http.AuthLevel, (http.Methods ?? []).Select(m => m.ToUpperInvariant()).ToList(), route);
    }

    private static QueueFunctionTrigger DescribeQueue(string name, MethodInfo method, ParameterInfo trigger, QueueTriggerAttribute queue)
    {
        if (trigger.ParameterType != typeof(string) && trigger.ParameterType != typeof(QueueMessage) && trigger.ParameterType != typeof(BinaryData))
        {
            throw Unsupported(name, method, $"queue trigger parameter '{trigger.Name}' must be string, QueueMessage or BinaryData");
        }

        RequireOnlyCancellationToken(name, method, trigger);
        return new QueueFunctionTrigger(queue.QueueName, queue.Connection);
    }

    private static TimerFunctionTrigger DescribeTimer(string name, MethodInfo method, ParameterInfo trigger, TimerTriggerAttribute timer)
    {
        if (trigger.ParameterType != typeof(TimerInfo))
        {
            throw Unsupported(name, method, $"timer trigger parameter '{trigger.Name}' must be TimerInfo");
        }

        RequireOnlyCancellationToken(name, method, trigger);
        return new TimerFunctionTrigger(timer.Schedule, timer.RunOnStartup);
    }

    private static void RequireOnlyCancellationToken(string name, MethodInfo method, ParameterInfo trigger)
    {
        var other = method.GetParameters().FirstOrDefault(p => p.Position != trigger.Position && p.ParameterType != typeof(CancellationToken));
        if (other is not null)
        {
            throw Unsupported(name, method, $"parameter '{other.Name}' ({other.ParameterType.Name}) is not supported; only the trigger and a CancellationToken");
        }

        if (method.ReturnType != typeof(void) && method.ReturnType != typeof(Task))
        {
            throw Unsupported(name, method, "must return Task or void");
        }
    }

    private static InvalidOperationException Unsupported(string name, MethodInfo method, string problem) =>
        new($"Function {name} ({method.DeclaringType?.FullName}.{method.Name}) {problem} (see src/Refunds.Functions/README.md).");

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingReference();
}
