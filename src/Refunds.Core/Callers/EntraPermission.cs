namespace Refunds.Core.Callers;

/// <summary>What a route lets an Entra ID caller do, and so which app role its token must carry.</summary>
public enum EntraPermission
{
    /// <summary>Submit refund requests: the submit role (<c>Refunds.Submit</c>).</summary>
    Submit,

    /// <summary>Read refund requests and refunds: the submit role or the operate role.</summary>
    Read,

    /// <summary>Operator actions (requeue): the operate role (<c>Refunds.Operate</c>).</summary>
    Operate,
}
