using System.CommandLine;
using Refunds.Core.Refunds;

namespace Refunds.Cli.Commands;

/// <summary><c>refunds submit</c>: the same request through <c>POST /api/orders/{orderId}/refunds</c>.</summary>
internal static class SubmitCommand
{
    public const string Details = $"""
        Ask the function app for a refund: POST /api/orders/<orderId>/refunds with the request id as the
        Idempotency-Key header. Prints the request id on stdout (202: accepted; 200: already known with the
        same parameters). Exits 2 with every reason when the request is invalid (checked here first, nothing
        sent) or the app answers 400; exits 4 when the app answers 409 (same id, other parameters), 5 when it refuses the key, 1 when it fails.

        {RefundOptions.FieldsHelp}

        Examples:
          dotnet refunds submit 2011708070000007521 --description "退货" --charge ch_L8qn10mLmr1GS8e5OODmHaL4 --amount 10
          dotnet refunds submit 2011708070000007521 --description "退货" --request-id erp-2026-000125 --metadata erp_ref=A-17
        """;

    public static Command Create(CliConsole console, Func<HttpClient> http)
    {
        var order = new OrderInput();
        var fields = new RefundOptions();
        var app = new AppOptions();
        var command = new Command("submit", "Ask the function app for a refund (POST /api/orders/<orderId>/refunds).");
        order.AddTo(command);
        fields.AddTo(command);
        app.AddTo(command);
        command.SetAction(async (parsed, ct) =>
        {
            var orderId = order.Get(parsed);
            var arguments = RefundArguments.From(parsed, fields, orderId);
            var validated = arguments.ValidateAsHttpBody(orderId, arguments.RequestId ?? RefundArguments.NewRequestId());
            if (validated.Request is null)
            {
                RefundArguments.WriteReasons(console.Err, validated.Reasons);
                return ExitCodes.Invalid;
            }

            var outcome = await SubmitAsync(app.Open(parsed, console, http()), validated.Request, ct).ConfigureAwait(false);
            return Report(console, orderId, outcome);
        });
        return command;
    }

    /// <summary>One POST with the request id as the Idempotency-Key; shared by <c>submit</c> and the demo.</summary>
    internal static async Task<SubmitOutcome> SubmitAsync(RefundsApiClient api, RefundRequest request, CancellationToken ct)
    {
        var answer = await api.SubmitAsync(request.OrderId, request.RequestId, RefundArguments.HttpBody(request), ct).ConfigureAwait(false);
        var code = (int)answer.Status;
        if (code is >= 200 and < 300)
        {
            var (id, state) = RefundsApiClient.AcceptedAnswer(answer.Body);
            return new SubmitOutcome.Accepted(id ?? request.RequestId, answer.Location, code, state);
        }

        if (code is 400 or 422)
        {
            return new SubmitOutcome.Rejected(answer.Status, RefundsApiClient.Reasons(answer.Body));
        }

        var reasons = string.Join("; ", RefundsApiClient.Reasons(answer.Body));
        var detail = reasons.Length > 0 ? $": {reasons}" : "";
        return code switch
        {
            401 or 403 => new SubmitOutcome.Failed(KeyRefusal.Message(code, detail), ExitCodes.KeyRefused),
            409 => new SubmitOutcome.Failed($"the function app answered {code}{detail}", ExitCodes.NotAllowed),
            >= 500 => new SubmitOutcome.Failed($"the function app answered {code}{detail}; the request may or may not be recorded: resend with --request-id {request.RequestId} (safe)"),
            _ => new SubmitOutcome.Failed($"the function app answered {code}{detail}"),
        };
    }

    private static int Report(CliConsole console, string orderId, SubmitOutcome outcome)
    {
        switch (outcome)
        {
            case SubmitOutcome.Accepted accepted:
                console.Out.WriteLine(accepted.RequestId);
                // 202: new; 200: the app already had this request id with the same parameters (a safe resend).
                console.Err.WriteLine($"{(accepted.Code == 202 ? "accepted" : "already known")} ({accepted.Code}{(accepted.State is { } st ? ", " + st : "")}): request {accepted.RequestId} for order {orderId}"
                    + (accepted.Location is { } l ? $"; status at {l}" : "")
                    + $"; resending with --request-id {accepted.RequestId} is safe; follow it with: dotnet refunds show {orderId}");
                return ExitCodes.Ok;
            case SubmitOutcome.Rejected rejected:
                console.Err.WriteLine($"the app rejected the request ({(int)rejected.Status}); nothing was enqueued:");
                foreach (var reason in rejected.Reasons)
                {
                    console.Err.WriteLine("  " + reason);
                }

                return ExitCodes.Invalid;
            case SubmitOutcome.Failed failed:
                console.Err.WriteLine($"refunds: {failed.Message}");
                return failed.ExitCode;
            default:
                throw new InvalidOperationException("unknown outcome");
        }
    }
}

/// <summary>What became of one <c>POST /api/orders/{orderId}/refunds</c>.</summary>
internal abstract record SubmitOutcome
{
    public sealed record Accepted(string RequestId, Uri? Location, int Code, string? State) : SubmitOutcome;

    public sealed record Rejected(System.Net.HttpStatusCode Status, IReadOnlyList<string> Reasons) : SubmitOutcome;

    public sealed record Failed(string Message, int ExitCode = ExitCodes.Failed) : SubmitOutcome;
}
