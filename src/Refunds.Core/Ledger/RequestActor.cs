namespace Refunds.Core.Ledger;

/// <summary>
/// Who a request's history names for a state change. Operator actions pass theirs explicitly
/// (<see cref="Operator"/>). Everything else takes the ambient actor: a function adapter opens a scope with
/// <see cref="Begin"/> (<c>function:&lt;FunctionName&gt;</c>) around its call into the core, and it flows with the
/// async calls below it (<see cref="AsyncLocal{T}"/>); outside any scope the actor is <see cref="System"/> (the app on
/// its own: reconciliation, webhooks).
/// </summary>
public static class RequestActor
{
    public const string System = "system";

    private static readonly AsyncLocal<string?> Ambient = new();

    /// <summary>The ambient actor: the innermost open scope's, else <see cref="System"/>.</summary>
    public static string Current => Ambient.Value ?? System;

    public static string Function(string functionName) => "function:" + functionName;

    /// <param name="callerId">The caller's id (<c>key:&lt;name&gt;</c>, <c>entra:&lt;oid&gt;</c>).</param>
    public static string Operator(string callerId) => "operator:" + callerId;

    /// <summary>Makes <paramref name="actor"/> the ambient actor until the returned scope is disposed.</summary>
    public static IDisposable Begin(string actor)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var outer = Ambient.Value;
        Ambient.Value = actor;
        return new Scope(outer);
    }

    private sealed class Scope(string? outer) : IDisposable
    {
        public void Dispose() => Ambient.Value = outer;
    }
}
