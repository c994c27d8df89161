using System.Collections.Concurrent;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Refunds.Core.Ledger;
using Refunds.Core.Webhooks;

namespace Refunds.IntegrationTests;

/// <summary>Records payment events handed to the abnormal-payment hook.</summary>
public sealed class RecordingObserver : IPaymentEventObserver
{
    public ConcurrentQueue<PingppEvent> Events { get; } = new();

    public Task OnOrderPaymentEventAsync(PingppEvent pingppEvent, CancellationToken ct)
    {
        Events.Enqueue(pingppEvent);
        return Task.CompletedTask;
    }
}

/// <summary>A receiver wired to real tables (unique names) with real keys.</summary>
public sealed class ReceiverHarness : IDisposable
{
    public required WebhookReceiver Receiver { get; init; }
    public required WebhookEventStore Store { get; init; }
    public required RefundLedger Ledger { get; init; }
    public required WebhookSignatureVerifier Verifier { get; init; }
    public required RecordingObserver Observer { get; init; }
    public required FakeTimeProvider Time { get; init; }
    public required Tables Names { get; init; }

    public sealed record Tables(string Events, string Ledger, string Index)
    {
        public static Tables Unique() => new(Azurite.UniqueTable("evt"), Azurite.UniqueTable("led"), Azurite.UniqueTable("idx"));
    }

    public static ReceiverHarness Create(
        IEnumerable<string> publicKeys,
        bool allowUnsigned = false,
        Tables? names = null,
        TableServiceClient? eventStorage = null,
        TableServiceClient? ledgerStorage = null)
    {
        names ??= Tables.Unique();
        var options = new WebhookOptions { WebhookPublicKeys = [.. publicKeys], AllowUnsignedTestEvents = allowUnsigned };
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 8, 0, 0, TimeSpan.Zero));
        var verifier = WebhookSignatureVerifier.FromOptions(options);
        var store = new WebhookEventStore(eventStorage ?? Azurite.Tables(), names.Events);
        var ledger = new RefundLedger(ledgerStorage ?? Azurite.Tables(), time, NullLogger<RefundLedger>.Instance, names.Ledger, names.Index);
        var observer = new RecordingObserver();
        var receiver = new WebhookReceiver(
            verifier, Options.Create(options), store, new WebhookEventHandler(ledger, observer, NullLogger<WebhookEventHandler>.Instance),
            new WebhookMetrics(), time, NullLogger<WebhookReceiver>.Instance);
        return new ReceiverHarness
        {
            Receiver = receiver,
            Store = store,
            Ledger = ledger,
            Verifier = verifier,
            Observer = observer,
            Time = time,
            Names = names,
        };
    }

    public void Dispose() => Verifier.Dispose();
}
