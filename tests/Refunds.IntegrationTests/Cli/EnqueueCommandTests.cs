using Azure.Storage.Queues;
using Refunds.Core.Pingpp;
using Refunds.Core.Refunds;

namespace Refunds.IntegrationTests.Cli;

/// <summary><c>refunds enqueue</c> against the shared Azurite, one queue per test.</summary>
public sealed class EnqueueCommandTests : IAsyncLifetime
{
    private const string OrderId = "2011708070000007521";
    private readonly QueueClient _queue = new(Azurite.ConnectionString, "cli-" + Guid.NewGuid().ToString("N")[..16]);

    public Task InitializeAsync() => _queue.CreateIfNotExistsAsync();

    public Task DisposeAsync() => _queue.DeleteIfExistsAsync();

    private Task<CliRun> EnqueueAsync(params string[] args)
        => CliRun.RunAsync(["enqueue", .. args, "--storage", Azurite.ConnectionString, "--queue", _queue.Name]);

    [Fact]
    public async Task Enqueue_puts_exactly_the_canonical_message_the_parser_accepts()
    {
        var run = await EnqueueAsync(
            "--order", OrderId, "--description", "退款：尺码不合适", "--charge", "ch_L8qn10mLmr1GS8e5OODmHaL4",
            "--amount", "250", "--refund-mode", "to_source", "--funding-source", "unsettled_funds",
            "--request-id", "req-enqueue-1", "--metadata", "zeta=last", "alpha=first");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("req-enqueue-1", run.Out.Trim());
        var messages = (await _queue.ReceiveMessagesAsync(maxMessages: 32)).Value;
        var message = Assert.Single(messages);
        var text = message.Body.ToString();

        var expected = new RefundRequest
        {
            RequestId = "req-enqueue-1",
            OrderId = OrderId,
            Description = "退款：尺码不合适",
            Charge = "ch_L8qn10mLmr1GS8e5OODmHaL4",
            ChargeAmount = 250,
            RefundMode = OrderRefundMode.ToSource,
            FundingSource = RefundFundingSource.UnsettledFunds,
            Metadata = new Dictionary<string, string> { ["alpha"] = "first", ["zeta"] = "last" },
        };
        Assert.Equal(expected.ToQueueJson(), text);
        var parsed = RefundRequestParser.Parse(text, message.MessageId);
        Assert.True(parsed.IsValid, string.Join("; ", parsed.Reasons));
        Assert.Equal(expected, parsed.Request);
        Assert.Equal(text, parsed.Request.ToQueueJson());
    }

    [Fact]
    public async Task Enqueue_without_a_request_id_generates_one_puts_it_in_the_message_and_prints_it()
    {
        var run = await EnqueueAsync("--order", OrderId, "--description", "full refund");

        Assert.Equal(0, run.ExitCode);
        var printed = run.Out.Trim();
        Assert.StartsWith("cli-", printed, StringComparison.Ordinal);
        var message = Assert.Single((await _queue.ReceiveMessagesAsync(maxMessages: 32)).Value);
        // Parsed without a fallback id: the id must be in the message itself, not borrowed from the queue.
        var parsed = RefundRequestParser.Parse(message.Body.ToString(), fallbackRequestId: null);
        Assert.True(parsed.IsValid, string.Join("; ", parsed.Reasons));
        Assert.Equal(printed, parsed.Request.RequestId);
        Assert.Null(parsed.Request.Charge);
        Assert.Null(parsed.Request.ChargeAmount);
    }

    [Fact]
    public async Task Enqueue_with_invalid_arguments_exits_2_lists_every_reason_and_enqueues_nothing()
    {
        var run = await EnqueueAsync(
            "--order", "not an order!", "--amount", "-5", "--refund-mode", "to_wallet", "--metadata", "oops");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Out);
        Assert.Contains("order_id (--order):", run.Err);
        Assert.Contains("description (--description):", run.Err);
        Assert.Contains("charge_amount (--amount):", run.Err);
        Assert.Contains("refund_mode (--refund-mode): must be to_source or to_balance", run.Err);
        Assert.Contains("metadata (--metadata): 'oops' is not key=value", run.Err);
        run.AssertNoStackTrace();
        var peeked = (await _queue.PeekMessagesAsync(maxMessages: 32)).Value;
        Assert.Empty(peeked);
    }

    [Fact]
    public async Task Enqueue_when_storage_is_down_says_where_in_one_line_without_the_key_and_exits_6()
    {
        var closed = new Uri(ScriptedAppServer.ClosedAddress());
        var account = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
                      + "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
                      + $"QueueEndpoint=http://127.0.0.1:{closed.Port}/devstoreaccount1;";

        var run = await CliRun.RunAsync("enqueue", "--order", OrderId, "--description", "x", "--storage", account, "--queue", "refund-requests");

        Assert.Equal(6, run.ExitCode);
        var line = Assert.Single(run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"http://127.0.0.1:{closed.Port}/devstoreaccount1", line);
        Assert.Contains("./scripts/run-local.sh", line);
        Assert.DoesNotContain("Eby8vdM02", run.Err + run.Out);
        run.AssertNoStackTrace();
    }
}
