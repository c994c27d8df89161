using Xunit.Abstractions;
using Xunit.Sdk;

namespace Refunds.EndToEndTests.Support;

/// <summary>Every end-to-end test class: one at a time (each loads the machine on its own), the host named once per run.</summary>
[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<HostAnnouncement>
{
    public const string Name = "end-to-end";
}

/// <summary>
/// Says once, in the test run's output, which host the suite runs on (xunit.runner.json turns on diagnostic
/// messages). An unknown <see cref="EndToEndHost.Variable"/> or a missing <c>func</c> fails here, naming the reason,
/// before any test starts a system.
/// </summary>
public sealed class HostAnnouncement
{
    public HostAnnouncement(IMessageSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        Host = EndToEndHost.Current;
        sink.OnMessage(new DiagnosticMessage($"end-to-end host: {Host.Description}"));
    }

    public EndToEndHost Host { get; }
}

/// <summary>
/// A test only the in-process local host can run (it reads the app's in-process records or swaps its services): when
/// the run asks for <c>func</c> it is reported as skipped with the reason, never run against the local host instead.
/// </summary>
public sealed class LocalHostOnlyFactAttribute : FactAttribute
{
    public LocalHostOnlyFactAttribute(string reason)
    {
        if (EndToEndHost.FuncRequested)
        {
            Skip = $"{EndToEndHost.Variable}=func: {reason}";
        }
    }
}
