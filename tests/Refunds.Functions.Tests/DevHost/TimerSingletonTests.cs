using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using Refunds.DevHost;
using Refunds.DevHost.Timers;
using Refunds.Functions.Tests.TestFunctions;

namespace Refunds.Functions.Tests.DevHost;

/// <summary>Timers across instances: the listener lock (a blob lease per host id), the schedule status in storage, RunOnStartup.</summary>
public sealed class TimerSingletonTests
{
    private const string Yearly = "0 0 3 1 1 *";

    [Fact]
    public async Task Two_instances_of_one_host_id_run_the_timer_on_one_instance_at_a_time_and_the_other_takes_over_when_it_stops()
    {
        var probe = new Probe { Hold = TimeSpan.FromMilliseconds(400) };
        var hostId = RunningDevHost.NewHostId();
        var first = await RunningDevHost.StartAsync(Options("Beats", "* * * * * *", hostId, probe));
        await using var second = await RunningDevHost.StartAsync(Options("Beats", "* * * * * *", hostId, probe));
        await using (first)
        {
            await probe.WaitUntilAsync(i => i.Count >= 4);
            var (listener, other) = first.Functions["Beats"].IsListening ? (first, second) : (second, first);
            Assert.True(listener.Functions["Beats"].IsListening);
            Assert.False(other.Functions["Beats"].IsListening);
            Assert.Empty(other.Functions["Beats"].TimerRuns);
            Assert.Equal("leased", (await LockBlob(hostId, "Beats").GetPropertiesAsync()).Value.LeaseState.ToString().ToLowerInvariant());

            // The listener stops (releasing its lease): the other instance takes the lock and runs the schedule.
            if (listener == first)
            {
                await first.DisposeAsync();
            }
            else
            {
                await second.DisposeAsync();
            }

            var before = probe.Invocations.Count;
            await probe.WaitUntilAsync(i => i.Count >= before + 3);
            Assert.True(other.Functions["Beats"].IsListening);
            Assert.True(other.Functions["Beats"].TimerRuns.Count >= 3);
        }

        // One probe for both instances: it never saw two runs at once.
        Assert.Equal(1, probe.MaxConcurrent);
    }

    [Fact]
    public async Task A_run_missed_while_no_instance_listened_runs_once_past_due_when_an_instance_starts_and_the_status_is_moved_on()
    {
        var probe = new Probe { Hold = TimeSpan.Zero };
        var hostId = RunningDevHost.NewHostId();
        var missedAt = DateTimeOffset.UtcNow.AddHours(-1);
        var status = new ScheduleStatusStore(Storage(hostId), "Beats");
        await status.WriteAsync(new ScheduleStatusRecord(missedAt.AddDays(-1), missedAt, missedAt.AddDays(-1)), CancellationToken.None);

        await using var host = await RunningDevHost.StartAsync(Options("Beats", Yearly, hostId, probe));
        await probe.WaitUntilAsync(i => i.Count >= 1);
        await Task.Delay(1000);

        var run = Assert.Single(probe.Invocations);
        Assert.True(run.IsPastDue);
        var saved = await status.ReadAsync(CancellationToken.None);
        Assert.NotNull(saved);
        Assert.True(saved.Last >= run.StartedAt.AddSeconds(-1), "Last is the run that just happened");
        Assert.True(saved.Next > DateTimeOffset.UtcNow, "Next is the next occurrence, not the missed one");
    }

    [Fact]
    public async Task Run_on_startup_runs_once_when_the_instance_starts_listening_and_a_yearly_schedule_runs_nothing_else()
    {
        var probe = new Probe { Hold = TimeSpan.Zero };
        await using var host = await RunningDevHost.StartAsync(Options("StartupBeats", Yearly, RunningDevHost.NewHostId(), probe));

        await probe.WaitUntilAsync(i => i.Count >= 1);
        await Task.Delay(1000);

        var run = Assert.Single(probe.Invocations);
        Assert.False(run.IsPastDue);
    }

    [Fact]
    public async Task Without_run_on_startup_or_a_missed_run_a_starting_instance_only_records_the_next_occurrence()
    {
        var probe = new Probe { Hold = TimeSpan.Zero };
        var hostId = RunningDevHost.NewHostId();
        await using var host = await RunningDevHost.StartAsync(Options("Beats", Yearly, hostId, probe));
        var status = new ScheduleStatusStore(Storage(hostId), "Beats");

        var saved = await Eventually.ReturnsAsync(
            () => status.ReadAsync(CancellationToken.None), read => read is not null, TimeSpan.FromSeconds(30), "the schedule status", interval: TimeSpan.FromMilliseconds(100));

        Assert.NotNull(saved);
        Assert.Equal(host.Functions["Beats"].NextOccurrence, saved.Next);
        Assert.Empty(probe.Invocations);
    }

    private static DevHostOptions Options(string function, string schedule, string hostId, Probe probe)
    {
        var options = new DevHostOptions
        {
            FunctionsAssembly = typeof(Probe).Assembly,
            Functions = [function],
            ConfigureServices = services => services.AddSingleton(probe),
        };
        options.Settings["BeatSchedule"] = schedule;
        options.Settings[HostStorage.HostIdSetting] = hostId;
        return options;
    }

    private static HostStorage Storage(string hostId)
        => new(new BlobServiceClient(TestStorage.ConnectionString).GetBlobContainerClient(HostStorage.ContainerName), hostId, "test");

    private static BlobClient LockBlob(string hostId, string function)
    {
        var storage = Storage(hostId);
        return storage.Container.GetBlobClient(storage.ListenerLockBlob(function));
    }
}
