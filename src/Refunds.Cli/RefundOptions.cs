using System.CommandLine;

namespace Refunds.Cli;

/// <summary>
/// The refund fields of <c>enqueue</c> and <c>submit</c>. Every value is taken as typed (an amount stays text) and
/// checked by the app's own parser (<see cref="RefundArguments"/>), so the CLI refuses exactly what the app refuses.
/// </summary>
internal sealed class RefundOptions
{
    public const string FieldsHelp = """
        Refund fields: --charge ch_… --amount <fen> refunds part of one charge; without them every charge of the
        order is refunded in full. Without --request-id a new id (cli-…) is generated and printed on stdout:
        sending again with --request-id <that id> is safe, the refund is made at most once.
        """;

    public Option<string> Description { get; } = new("--description") { Description = "why (required, at most 255 characters)", HelpName = "text" };
    public Option<string> Charge { get; } = new("--charge") { Description = "refund only this charge (ch_…)", HelpName = "ch_…" };
    public Option<string> Amount { get; } = new("--amount") { Description = "fen to refund from --charge (a positive integer)", HelpName = "fen" };
    public Option<string> RefundMode { get; } = new("--refund-mode") { Description = "to_source or to_balance", HelpName = "mode" };
    public Option<string> FundingSource { get; } = new("--funding-source") { Description = "unsettled_funds or recharge_funds", HelpName = "source" };
    public Option<string> RequestId { get; } = new("--request-id") { Description = "idempotency key (1-128 characters, none of / \\ # ? | or whitespace)", HelpName = "id" };

    public Option<string[]> Metadata { get; } = new(RefundArguments.MetadataOption)
    {
        Description = "metadata pairs k=v (repeatable, or several after one --metadata)",
        HelpName = "k=v",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = true,
    };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Description, Charge, Amount, RefundMode, FundingSource, RequestId, Metadata })
        {
            command.Options.Add(option);
        }
    }
}
