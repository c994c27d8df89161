using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Refunds.Core.Callers;
using Refunds.Functions.Security;

namespace Refunds.Functions.Operations;

/// <summary>
/// <see cref="OperatorFunctions"/> for Entra ID callers under <c>/api/entra/manage/…</c>: anonymous at the host, the
/// worker checks the token for the <c>Refunds.Operate</c> role (<see cref="EntraGate"/>, fail closed) and runs the same code.
/// </summary>
public sealed class EntraOperatorFunctions(EntraGate gate, OperatorFunctions operations)
{
    [Function("ListProblemsEntra")]
    public async Task<IActionResult> Problems(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "entra/manage/problems")] HttpRequest request, CancellationToken cancellationToken)
        => await gate.RefuseAsync(request, EntraPermission.Operate, cancellationToken) ?? await operations.Problems(request, cancellationToken);

    [Function("ReviewProblemEntra")]
    public async Task<IActionResult> Review(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "entra/manage/problems/{kind}/{id}/review")] HttpRequest request,
        string kind,
        string id,
        CancellationToken cancellationToken)
        => await gate.RefuseAsync(request, EntraPermission.Operate, cancellationToken) ?? await operations.Review(request, kind, id, cancellationToken);

    [Function("SearchRefundRequestsEntra")]
    public async Task<IActionResult> Search(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "entra/manage/refund-requests")] HttpRequest request, CancellationToken cancellationToken)
        => await gate.RefuseAsync(request, EntraPermission.Operate, cancellationToken) ?? await operations.Search(request, cancellationToken);

    [Function("ExportRefundRequestsEntra")]
    public async Task<IActionResult> Export(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "entra/manage/export/refund-requests.csv")] HttpRequest request, CancellationToken cancellationToken)
        => await gate.RefuseAsync(request, EntraPermission.Operate, cancellationToken) ?? await operations.Export(request, cancellationToken);

    [Function("DailyStatsEntra")]
    public async Task<IActionResult> Daily(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "entra/manage/stats/daily")] HttpRequest request, CancellationToken cancellationToken)
        => await gate.RefuseAsync(request, EntraPermission.Operate, cancellationToken) ?? await operations.Daily(request, cancellationToken);
}
