using System.CommandLine;

namespace Refunds.Cli.Commands;

/// <summary><c>refunds enqueue</c>: one refund request on the storage queue, as the canonical JSON the queue function reads.</summary>
internal static class EnqueueCommand
{
    public const string Details = $"""
        Put one refund request on the refund-requests queue (what other systems do), as the JSON the queue
        function reads. The request is checked with the app's own rules first; an invalid one prints every reason
        and exits 2, and nothing is sent.

        {RefundOptions.FieldsHelp}

        Examples:
          dotnet refunds enqueue 2011708070000007521 --description "退货"
          dotnet refunds enqueue --order 2011708070000007521 --description "partial" --charge ch_L8qn10mLmr1GS8e5OODmHaL4 --amount 10 --request-id erp-2026-000124
        """;

    public static Command Create(CliConsole console)
    {
        var order = new OrderInput();
        var fields = new RefundOptions();
        var queue = new QueueOptions();
        var command = new Command("enqueue", "Put one refund request on the refund-requests queue (as other systems do).");
        order.AddTo(command);
        fields.AddTo(command);
        queue.AddTo(command);
        command.SetAction(async (parsed, ct) =>
        {
            var arguments = RefundArguments.From(parsed, fields, order.Get(parsed));
            var validated = arguments.ValidateAsQueueMessage(arguments.RequestId ?? RefundArguments.NewRequestId());
            if (validated.Request is null)
            {
                RefundArguments.WriteReasons(console.Err, validated.Reasons);
                return ExitCodes.Invalid;
            }

            var target = queue.Open(parsed, console);
            await target.SendAsync(validated.Request, ct).ConfigureAwait(false);
            var request = validated.Request;
            console.Out.WriteLine(request.RequestId);
            console.Err.WriteLine($"enqueued request {request.RequestId} for order {request.OrderId} to queue {target.Name}; follow it with: dotnet refunds show {request.OrderId}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
