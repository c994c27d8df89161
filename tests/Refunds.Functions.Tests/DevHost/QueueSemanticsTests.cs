using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Refunds.DevHost;
using Refunds.Functions.Tests.TestFunctions;

namespace Refunds.Functions.Tests.DevHost;

/// <summary>The dev host's queue trigger against real Azurite queues, with the test functions of this assembly.</summary>
public sealed class QueueSemanticsTests
{
    private static readonly QueueHostOptions Fast = new()
    {
        BatchSize = 16,
        NewBatchThreshold = 8,
        MaxDequeueCount = 5,
        VisibilityTimeout = TimeSpan.Zero,
        MaxPollingInterval = TimeSpan.FromMilliseconds(200),
        MessageEncoding = QueueMessageEncoding.None,
    };

    [Fact]
    public async Task Success_deletes_the_message()
    {
        var queue = await NewQueueAsync("ok");
        await queue.SendMessageAsync("""{"refund_request_id":"r1"}""");
        var probe = new Probe();
        await using var host = await StartAsync("Succeeds", "SucceedsQueue", queue.Name, Fast, probe);

        var seen = await probe.WaitUntilAsync(i => i.Count >= 1);
        Assert.Equal("""{"refund_request_id":"r1"}""", seen[0].Text);

        // The lease is 10 minutes: a message left undeleted would still be counted here.
        await WaitForMessageCountAsync(queue, 0);
        Assert.Single(probe.Invocations);
    }

    [Fact]
    public async Task Failed_message_becomes_visible_again_only_after_the_visibility_timeout()
    {
        var queue = await NewQueueAsync("retry");
        await queue.SendMessageAsync("retry me");
        var probe = new Probe();
        var visibility = TimeSpan.FromSeconds(2);
        await using var host = await StartAsync("Fails", "FailsQueue", queue.Name, Fast with { VisibilityTimeout = visibility }, probe);

        var seen = await probe.WaitUntilAsync(i => i.Count >= 2);

        Assert.Equal(seen[0].MessageId, seen[1].MessageId);
        Assert.Equal([1L, 2L], seen.Take(2).Select(i => i.DequeueCount));
        // Polling every 200 ms would redeliver at once if the host ignored visibilityTimeout (Azurite shares our clock).
        Assert.True(seen[1].StartedAt - seen[0].EndedAt >= visibility - TimeSpan.FromMilliseconds(250),
            $"second attempt came {seen[1].StartedAt - seen[0].EndedAt} after the failure");
    }

    [Fact]
    public async Task Message_failing_max_dequeue_count_times_moves_to_the_poison_queue_with_its_text()
    {
        var queue = await NewQueueAsync("poison");
        const string text = """{"refund_request_id":"r-poison","amount":100}""";
        await queue.SendMessageAsync(text);
        var probe = new Probe();
        await using var host = await StartAsync("Fails", "FailsQueue", queue.Name, Fast with { MaxDequeueCount = 3 }, probe);

        var poison = new QueueClient(TestStorage.ConnectionString, queue.Name + "-poison");
        var poisoned = await WaitForPoisonAsync(poison);
        await WaitForMessageCountAsync(queue, 0);

        Assert.Equal(text, poisoned);
        Assert.Equal([1L, 2L, 3L], probe.Invocations.Select(i => i.DequeueCount));
    }

    [Fact]
    public async Task Base64_encoding_hands_the_function_the_decoded_text()
    {
        var queue = await NewQueueAsync("b64");
        var sender = new QueueClient(TestStorage.ConnectionString, queue.Name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        await sender.SendMessageAsync("""{"encoded":true}""");
        var probe = new Probe();
        await using var host = await StartAsync("Text", "TextQueue", queue.Name, Fast with { MessageEncoding = QueueMessageEncoding.Base64 }, probe);

        var seen = await probe.WaitUntilAsync(i => i.Count >= 1);
        Assert.Equal("""{"encoded":true}""", seen[0].Text);
    }

    [Fact]
    public async Task Base64_encoding_poisons_a_plain_text_message_without_stopping_the_others()
    {
        var queue = await NewQueueAsync("b64bad");
        await queue.SendMessageAsync("""{"not":"base64"}""");
        var probe = new Probe();
        await using var host = await StartAsync("Text", "TextQueue", queue.Name,
            Fast with { MessageEncoding = QueueMessageEncoding.Base64, MaxDequeueCount = 2 }, probe);

        var poisoned = await WaitForPoisonAsync(new QueueClient(TestStorage.ConnectionString, queue.Name + "-poison"));
        Assert.Equal("""{"not":"base64"}""", poisoned);
        Assert.Empty(probe.Invocations);

        await queue.SendMessageAsync(Convert.ToBase64String("after"u8));
        var seen = await probe.WaitUntilAsync(i => i.Count >= 1);
        Assert.Equal("after", seen[0].Text);
    }

    [Fact]
    public async Task None_encoding_hands_the_function_the_stored_text_plain_or_base64()
    {
        var queue = await NewQueueAsync("none");
        var base64 = Convert.ToBase64String("""{"x":1}"""u8);
        await queue.SendMessageAsync("""{"plain":true}""");
        await queue.SendMessageAsync(base64);
        var probe = new Probe();
        await using var host = await StartAsync("Text", "TextQueue", queue.Name, Fast, probe);

        var seen = await probe.WaitUntilAsync(i => i.Count >= 2);
        Assert.Equal(new[] { base64, """{"plain":true}""" }.Order(), seen.Select(i => i.Text).Order());
    }

    [Fact]
    public async Task Concurrency_never_exceeds_batch_size_plus_new_batch_threshold()
    {
        var queue = await NewQueueAsync("batch");
        for (var i = 0; i < 10; i++)
        {
            await queue.SendMessageAsync($"m{i}");
        }

        var probe = new Probe { Hold = TimeSpan.FromMilliseconds(400) };
        await using var host = await StartAsync("Holds", "HoldsQueue", queue.Name, Fast with { BatchSize = 3, NewBatchThreshold = 1 }, probe);

        await probe.WaitUntilAsync(i => i.Count >= 10);
        Assert.InRange(probe.MaxConcurrent, 3, 4);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"m{i}").Order(), probe.Invocations.Select(i => i.Text).Order());
    }

    [Fact]
    public async Task Batch_size_one_without_threshold_runs_one_message_at_a_time()
    {
        var queue = await NewQueueAsync("serial");
        for (var i = 0; i < 4; i++)
        {
            await queue.SendMessageAsync($"s{i}");
        }

        var probe = new Probe { Hold = TimeSpan.FromMilliseconds(300) };
        await using var host = await StartAsync("Holds", "HoldsQueue", queue.Name, Fast with { BatchSize = 1, NewBatchThreshold = 0 }, probe);

        await probe.WaitUntilAsync(i => i.Count >= 4);
        Assert.Equal(1, probe.MaxConcurrent);
    }

    private static async Task<RunningDevHost> StartAsync(string function, string setting, string queueName, QueueHostOptions queues, Probe probe)
    {
        var options = new DevHostOptions
        {
            FunctionsAssembly = typeof(Probe).Assembly,
            Functions = [function],
            Queues = queues,
            ConfigureServices = services => services.AddSingleton(probe),
        };
        options.Settings[setting] = queueName;
        var host = await RunningDevHost.StartAsync(options);
        await host.Functions[function].Ready.WaitAsync(TimeSpan.FromSeconds(30));
        return host;
    }

    private static async Task<QueueClient> NewQueueAsync(string prefix)
    {
        var queue = new QueueClient(TestStorage.ConnectionString, TestStorage.UniqueQueueName("devhost-" + prefix));
        await queue.CreateIfNotExistsAsync();
        return queue;
    }

    private static async Task<string> WaitForPoisonAsync(QueueClient poison)
    {
        var messages = await Eventually.ReturnsAsync(
            async () => await poison.ExistsAsync() ? (await poison.PeekMessagesAsync(10)).Value : [],
            found => found.Length > 0,
            TimeSpan.FromSeconds(30),
            $"a message in {poison.Name}",
            interval: TimeSpan.FromMilliseconds(100));
        return Assert.Single(messages).MessageText;
    }

    private static Task WaitForMessageCountAsync(QueueClient queue, int expected)
        => Eventually.ReturnsAsync(
            async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount,
            count => count == expected,
            TimeSpan.FromSeconds(30),
            $"{expected} messages in {queue.Name}",
            count => $"{count} messages",
            TimeSpan.FromMilliseconds(100));
}
