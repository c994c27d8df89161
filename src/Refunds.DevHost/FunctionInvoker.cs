using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace Refunds.DevHost;

/// <summary>Creates the function class from the invocation's DI scope (as the worker does) and calls the method.</summary>
public static class FunctionInvoker
{
    public static async Task<object?> InvokeAsync(FunctionDescriptor function, IServiceProvider scopedServices, object?[] arguments)
    {
        var instance = function.Method.IsStatic ? null : ActivatorUtilities.CreateInstance(scopedServices, function.Type);
        try
        {
            var returned = function.Method.Invoke(instance, BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null);
            if (returned is not Task task)
            {
                return returned;
            }

            await task.ConfigureAwait(false);
            var returnType = function.Method.ReturnType;
            return returnType.IsGenericType ? returnType.GetProperty(nameof(Task<object>.Result))!.GetValue(task) : null;
        }
        finally
        {
            switch (instance)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }
}
