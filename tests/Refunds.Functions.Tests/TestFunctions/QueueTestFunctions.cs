using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;

namespace Refunds.Functions.Tests.TestFunctions;

// Test-only functions the dev host tests serve instead of Refunds.Functions (DevHostOptions.FunctionsAssembly).
// Each test picks the one it needs (DevHostOptions.Functions) and names its queue through a setting.

public sealed class SucceedingQueueFunction(Probe probe, TimeProvider time)
{
    [Function("Succeeds")]
    public Task Run([QueueTrigger("%SucceedsQueue%")] QueueMessage message, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        probe.Record(new Invocation("Succeeds", message.Body.ToString(), message.MessageId, message.DequeueCount, false, now, now));
        return Task.CompletedTask;
    }
}

public sealed class FailingQueueFunction(Probe probe, TimeProvider time)
{
    [Function("Fails")]
    public Task Run([QueueTrigger("%FailsQueue%")] QueueMessage message, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        probe.Record(new Invocation("Fails", message.Body.ToString(), message.MessageId, message.DequeueCount, false, now, now));
        throw new InvalidOperationException("the test function always fails");
    }
}

public sealed class HoldingQueueFunction(Probe probe, TimeProvider time)
{
    [Function("Holds")]
    public async Task Run([QueueTrigger("%HoldsQueue%")] string text, CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        probe.Enter();
        try
        {
            await Task.Delay(probe.Hold, CancellationToken.None);
        }
        finally
        {
            probe.Exit();
        }

        probe.Record(new Invocation("Holds", text, null, 0, false, started, time.GetUtcNow()));
    }
}

public sealed class TextQueueFunction(Probe probe, TimeProvider time)
{
    [Function("Text")]
    public void Run([QueueTrigger("%TextQueue%")] string text)
    {
        var now = time.GetUtcNow();
        probe.Record(new Invocation("Text", text, null, 0, false, now, now));
    }
}

public sealed class TickingTimerFunction(Probe probe, TimeProvider time)
{
    [Function("Ticks")]
    public async Task Run([TimerTrigger("%TickSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        var first = probe.Enter() == 1 && probe.Invocations.Count == 0;
        try
        {
            // The first run overruns the one-second schedule, so the next occurrence is past due.
            await Task.Delay(first ? probe.Hold : TimeSpan.Zero, CancellationToken.None);
        }
        finally
        {
            probe.Exit();
        }

        probe.Record(new Invocation("Ticks", string.Empty, null, 0, timer.IsPastDue, started, time.GetUtcNow()));
    }
}
