using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Refunds.Core.Callers;
using Refunds.Functions.Refunds;
using Refunds.Functions.Security;

namespace Refunds.Functions.OperatorConsole;

/// <summary>
/// Who the console is calling as, recorded on every action it takes: <c>key:master</c> with the master key locally, or
/// <c>easyauth:&lt;oid&gt;</c> through the App Service Authentication session on Azure. The console asks the Entra twin
/// first: 200 = signed in, 401 <c>not_signed_in</c> = sign in, anything else = ask for the key (and check it here).
/// </summary>
public sealed class ConsoleIdentityFunctions(EntraGate gate)
{
    [Function("WhoAmI")]
    public IActionResult WhoAmI(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "manage/whoami")] HttpRequest request)
        => RequestCallers.Of(request) is { } caller
            ? ApiResults.Json(StatusCodes.Status200OK, new Identity(caller.Id))
            : RequestCallers.Unidentified();

    [Function("WhoAmIEntra")]
    public async Task<IActionResult> WhoAmIEntra(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "entra/manage/whoami")] HttpRequest request,
        CancellationToken cancellationToken)
        => await gate.RefuseAsync(request, EntraPermission.Operate, cancellationToken) ?? WhoAmI(request);

    /// <param name="Caller">The caller id operator actions are recorded under (<c>operator:&lt;caller&gt;</c> in history).</param>
    private sealed record Identity(string Caller);
}
