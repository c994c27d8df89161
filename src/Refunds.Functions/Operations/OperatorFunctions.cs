using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Refunds.Core.Http;
using Refunds.Core.Ledger;
using Refunds.Core.Operations;
using Refunds.Core.Operations.Problems;
using Refunds.Functions.Refunds;
using Refunds.Functions.Security;

namespace Refunds.Functions.Operations;

/// <summary>
/// Operator routes of issue 23 (CONTRACT-23, master key): the problems list and its reviews, refund request search,
/// CSV export and daily stats. Thin: the work is in Refunds.Core/Operations. <see cref="EntraOperatorFunctions"/> serves
/// the same under <c>/api/entra/manage/…</c>.
/// </summary>
public sealed partial class OperatorFunctions(
    ProblemsList problems, RequestSearch search, RequestCsvExport export, DailyStats stats, ILogger<OperatorFunctions> logger)
{
    private const int MaxBodyBytes = 16 * 1024;

    [Function("ListProblems")]
    public Task<IActionResult> Problems(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "manage/problems")] HttpRequest request, CancellationToken cancellationToken)
        => AnswerAsync(request, async q =>
        {
            var page = await problems.ReadAsync(ProblemsQuery.Parse(q), q.PageSize(), q.Text("continuation"), cancellationToken);
            return ApiResults.Json(StatusCodes.Status200OK, new Page<ProblemItem>([.. page.Items.Select(ProblemItem.From)], page.Continuation));
        });

    [Function("ReviewProblem")]
    public Task<IActionResult> Review(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "manage/problems/{kind}/{id}/review")] HttpRequest request,
        string kind,
        string id,
        CancellationToken cancellationToken)
        => AnswerAsync(request, async _ =>
        {
            if (RequestCallers.Of(request) is not { } caller)
            {
                return RequestCallers.Unidentified();
            }

            var note = await ActionText.ReadAsync(request, "note", MaxBodyBytes, cancellationToken);
            var actor = "operator:" + caller.Id;
            var reviewed = ProblemKinds.All.Contains(kind, StringComparer.Ordinal)
                ? await problems.ReviewAsync(kind, id, actor, note, cancellationToken)
                : null;
            if (reviewed is null)
            {
                return ApiResults.Error(StatusCodes.Status404NotFound, "not_found", $"No {kind} problem with id {id}.");
            }

            LogReviewed(logger, actor, kind, id);
            return ApiResults.Json(StatusCodes.Status200OK, ProblemItem.From(reviewed));
        });

    [Function("SearchRefundRequests")]
    public Task<IActionResult> Search(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "manage/refund-requests")] HttpRequest request, CancellationToken cancellationToken)
        => AnswerAsync(request, async q =>
        {
            var page = await search.SearchAsync(RequestSearchQuery.Parse(q), q.PageSize(), q.Text("continuation"), cancellationToken);
            return ApiResults.Json(StatusCodes.Status200OK, new Page<SearchItem>([.. page.Items.Select(SearchItem.From)], page.Continuation));
        });

    [Function("ExportRefundRequests")]
    public Task<IActionResult> Export(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "manage/export/refund-requests.csv")] HttpRequest request, CancellationToken cancellationToken)
        => AnswerAsync(request, async q =>
        {
            var bytes = await export.ExportAsync(RequestSearchQuery.Parse(q), cancellationToken);
            return new FileContentResult(bytes, "text/csv; charset=utf-8") { FileDownloadName = "refund-requests.csv" };
        });

    [Function("DailyStats")]
    public Task<IActionResult> Daily(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "manage/stats/daily")] HttpRequest request, CancellationToken cancellationToken)
        => AnswerAsync(request, async q =>
        {
            var days = await stats.ReadAsync(q.Int("days", 30, 1, DailyStats.MaxDays), cancellationToken);
            return ApiResults.Json(StatusCodes.Status200OK, new StatsAnswer(days));
        });

    /// <summary>Runs a route with its query parameters; a parameter it cannot use is a 400 naming it.</summary>
    private static async Task<IActionResult> AnswerAsync(HttpRequest request, Func<QueryParameters, Task<IActionResult>> answer)
    {
        try
        {
            return await answer(new QueryParameters(name => request.Query[name].ToString()));
        }
        catch (OperatorParameterException e)
        {
            return ApiResults.Error(StatusCodes.Status400BadRequest, e.Code, e.Message);
        }
    }

    private sealed record Page<T>(IReadOnlyList<T> Items, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Continuation);

    private sealed record StatsAnswer(IReadOnlyList<StatsDay> Days);

    private sealed record SearchItem(
        string RequestId, string? OrderId, string Status, long? Amount, string? Charge, IReadOnlyList<string> RefundIds,
        DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? SubmittedBy, string? Description)
    {
        public static SearchItem From(RefundRequestRecord r) => new(
            r.RequestId, r.OrderId, StateNames.ToApi(r.State.ToString()), r.ChargeAmount, r.Charge, r.RefundIds, r.CreatedAt, r.UpdatedAt, r.SubmittedBy, r.Description);
    }

    private sealed record ProblemItem(
        string Kind, string Id, string? OrderId, string? RequestId, string? RefundId, string? EventId, long? Amount, string Summary,
        DateTimeOffset Since, string? State, IReadOnlyList<string> Actions, IReadOnlyDictionary<string, object?> Details,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] ProblemReview? Reviewed)
    {
        public static ProblemItem From(Problem p) => new(
            p.Kind, p.Id, p.OrderId, p.RequestId, p.RefundId, p.EventId, p.Amount, p.Summary, p.Since, p.State, p.Actions, p.Details, p.Reviewed);
    }

    [LoggerMessage(3401, LogLevel.Information, "{Actor} marked {Kind} problem {Id} reviewed")]
    private static partial void LogReviewed(ILogger logger, string actor, string kind, string id);
}

/// <summary>The text of an operator action's body (<c>{"note":"…"}</c>, <c>{"reason":"…"}</c>): required, at most 1000 characters, no control characters.</summary>
internal static class ActionText
{
    public const int MaxChars = 1000;

    public static async Task<string> ReadAsync(HttpRequest request, string name, int maxBytes, CancellationToken ct)
    {
        var body = await BoundedBody.ReadAsync(request.Body, request.ContentLength, maxBytes, ct);
        if (body.IsTooLarge)
        {
            throw new OperatorParameterException(name, $"The body is larger than {maxBytes} bytes.");
        }

        string? text;
        try
        {
            using var json = JsonDocument.Parse(body.Bytes);
            text = json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (JsonException)
        {
            throw new OperatorParameterException(name, $"The body must be a JSON object {{\"{name}\":\"…\"}}.");
        }

        return text switch
        {
            null or { Length: 0 } => throw new OperatorParameterException(name, $"{name} is required: a JSON object {{\"{name}\":\"…\"}}."),
            { Length: > MaxChars } => throw new OperatorParameterException(name, $"{name} is longer than {MaxChars} characters."),
            _ when text.Any(char.IsControl) => throw new OperatorParameterException(name, $"{name} must not contain control characters."),
            _ => text,
        };
    }
}
