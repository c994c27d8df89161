using System.ComponentModel;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Builder;
using Refunds.DevHost.Keys;

namespace Refunds.DevHost;

/// <summary>Maps HTTP functions to Kestrel routes and runs them the way ASP.NET Core integration does.</summary>
public static partial class HttpFunctionEndpoints
{
    /// <summary>Set on every response a function produced, so a caller can tell "reached the function" from a routing 404.</summary>
    public const string FunctionHeader = "X-DevHost-Function";

    public static void Map(IEndpointRouteBuilder endpoints, ServedFunction function)
    {
        var handler = (RequestDelegate)(context => InvokeAsync(context, function));
        var builder = function.HttpMethods.Count == 0
            ? endpoints.Map(function.HttpPath!, handler)
            : endpoints.MapMethods(function.HttpPath!, function.HttpMethods, handler);
        builder.WithDisplayName(function.Name);
        function.MarkReady();
    }

    private static async Task InvokeAsync(HttpContext context, ServedFunction function)
    {
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Refunds.DevHost.Function." + function.Name);
        var level = ((HttpFunctionTrigger)function.Descriptor.Trigger).AuthLevel;
        var keys = context.RequestServices.GetRequiredService<FunctionKeys>();
        var presented = FunctionKeys.Presented(context.Request);
        if (!keys.Allows(level, function.Name, presented))
        {
            // Like the Functions host: 401 with an empty body before the function runs; the key is never logged.
            LogUnauthorized(logger, function.Name, level, context.Request.Headers.ContainsKey(FunctionKeys.Header) || context.Request.Query.ContainsKey(FunctionKeys.QueryParameter));
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        // Like the Functions host: a valid key's name reaches the function as a WebJobsAuthLevel identity.
        if (keys.Principal(function.Name, presented) is { } keyCaller)
        {
            context.User = keyCaller;
        }

        context.Response.Headers[FunctionHeader] = function.Name;
        try
        {
            var arguments = function.Descriptor.Method.GetParameters()
                .Select(parameter => Bind(parameter, context))
                .ToArray();
            var result = await FunctionInvoker.InvokeAsync(function.Descriptor, context.RequestServices, arguments);
            if (result is IActionResult actionResult)
            {
                await actionResult.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor()));
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            LogAborted(logger, function.Name);
        }
        catch (BadRouteValueException e)
        {
            LogBadRouteValue(logger, function.Name, e.Parameter);
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
            }
        }
        catch (Exception e)
        {
            // Like the Functions host: a bare 500, the exception only in the log.
            LogFailed(logger, e, function.Name);
            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                context.Response.Headers[FunctionHeader] = function.Name;
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            }
        }
    }

    private static object? Bind(System.Reflection.ParameterInfo parameter, HttpContext context)
    {
        if (parameter.ParameterType == typeof(HttpRequest))
        {
            return context.Request;
        }

        if (parameter.ParameterType == typeof(CancellationToken))
        {
            return context.RequestAborted;
        }

        var raw = context.Request.RouteValues.TryGetValue(parameter.Name!, out var value) ? value?.ToString() : null;
        if (raw is null)
        {
            return parameter.HasDefaultValue ? parameter.DefaultValue : null;
        }

        var target = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
        if (target == typeof(string))
        {
            return raw;
        }

        try
        {
            return TypeDescriptor.GetConverter(target).ConvertFromString(null, CultureInfo.InvariantCulture, raw);
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or ArgumentException)
        {
            throw new BadRouteValueException(parameter.Name!);
        }
    }

    private sealed class BadRouteValueException(string parameter) : Exception
    {
        public string Parameter { get; } = parameter;
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "Function {FunctionName} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string functionName);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Function {FunctionName}: the client went away")]
    private static partial void LogAborted(ILogger logger, string functionName);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Function {FunctionName} ({AuthLevel}): 401, key presented {KeyPresented}")]
    private static partial void LogUnauthorized(ILogger logger, string functionName, Microsoft.Azure.Functions.Worker.AuthorizationLevel authLevel, bool keyPresented);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Function {FunctionName}: route value {Parameter} has the wrong type")]
    private static partial void LogBadRouteValue(ILogger logger, string functionName, string parameter);
}
