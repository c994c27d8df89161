using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Refunds.Core.Pingpp;

namespace Refunds.Functions.Refunds;

/// <summary>JSON answers of the refund API in Ping++'s conventions (snake_case, nulls omitted, UTF-8).</summary>
internal static class ApiResults
{
    public static ContentResult Json(int status, object value) => new()
    {
        StatusCode = status,
        ContentType = "application/json; charset=utf-8",
        Content = JsonSerializer.Serialize(value, value.GetType(), PingppJson.Options),
    };

    public static ContentResult Error(int status, string error, string message, string? requestId = null)
        => Json(status, new ApiError(error, message, requestId));

    private sealed record ApiError(string Error, string Message, string? RequestId);
}
