using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Refunds.Functions.Health;

/// <summary>Liveness plus storage reachability for probes and smoke tests; no secrets, no details.</summary>
public sealed class HealthFunction(AppHealthCheck healthCheck)
{
    [Function("Health")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var health = await healthCheck.CheckAsync(cancellationToken);
        return new ObjectResult(health)
        {
            StatusCode = health.IsHealthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable,
        };
    }
}
