using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Data.Tables;
using Refunds.Core.Webhooks;
using Refunds.Functions.Tests;
using Refunds.Functions.Tests.Webhooks;

namespace Refunds.Benchmarks;

/// <summary>
/// Webhook ingestion through the function (HTTP POST to the dev host: verify, parse, store, apply) into Table Storage,
/// against a bare <see cref="TableClient.AddEntityAsync{T}"/> of the same rows at the same concurrency. Two event
/// kinds: a type the app only stores (one table write on its path) and <c>refund.succeeded</c> (stored, applied to
/// the ledger, marked applied). Every storage request of ours is counted, so the report shows where the time goes.
/// </summary>
public static class WebhookIngestBenchmark
{
    private const string StoredOnlyType = "transfer.succeeded";

    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = SideBySide.Option(args, "--rounds", 5);
        var events = SideBySide.Option(args, "--events", 400);
        var concurrency = SideBySide.Option(args, "--concurrency", 32);

        var counter = new CountingPolicy();
        var oursOptions = new TableClientOptions();
        oursOptions.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        var oursStorage = new TableServiceClient(TestStorage.ConnectionString, oursOptions);
        var bareStorage = new TableServiceClient(TestStorage.ConnectionString);
        var tables = WebhookTables.Unique();
        var bareTable = bareStorage.GetTableClient("benchbare" + Guid.NewGuid().ToString("N")[..16]);
        await bareTable.CreateIfNotExistsAsync();

        using var signer = new TestWebhookSigner();
        await using var host = await WebhookHost.StartAsync([signer.PublicKeyPem], tables: tables, storage: oursStorage);
        try
        {
            Console.WriteLine($"webhook-ingest: {events} fresh events per batch, concurrency {concurrency}, {rounds} rounds; storage {Describe(TestStorage.ConnectionString)}");
            foreach (var kind in new[] { StoredOnlyType, "refund.succeeded" })
            {
                long reads = 0, writes = 0, measured = 0;
                Console.WriteLine($"{kind}:");
                var result = await SideBySide.RunAsync(
                    "ours: POST /api/pingpp/webhooks (dev host)",
                    async () =>
                    {
                        var batch = Enumerable.Range(0, events).Select(_ => Signed(signer, kind)).ToList();
                        counter.Reset();
                        var clock = Stopwatch.StartNew();
                        await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (e, _) =>
                        {
                            var answer = await host.PostAsync(e.Body, e.Signature);
                            if (answer.Status != 200)
                            {
                                throw new InvalidOperationException($"the function answered {answer.Status}: {answer.Body}");
                            }
                        });
                        var rate = events / clock.Elapsed.TotalSeconds;
                        reads += counter.Reads;
                        writes += counter.Writes;
                        measured += events;
                        return rate;
                    },
                    "bare: TableClient.AddEntityAsync (same rows)",
                    async () =>
                    {
                        var batch = Enumerable.Range(0, events).Select(_ => BareRow(Signed(signer, kind))).ToList();
                        var clock = Stopwatch.StartNew();
                        await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (row, ct) =>
                            await bareTable.AddEntityAsync(row, ct));
                        return events / clock.Elapsed.TotalSeconds;
                    },
                    rounds);
                result.Print(goal: 0.8);
                Console.WriteLine($"  ours: {(double)reads / measured:F2} reads + {(double)writes / measured:F2} writes to Table Storage per event (counted over every batch incl. warm-up)");
            }
        }
        finally
        {
            await bareTable.DeleteAsync();
        }

        return 0;
    }

    private sealed record SignedEvent(string EventId, JsonObject Event, byte[] Body, string Signature);

    private static SignedEvent Signed(TestWebhookSigner signer, string kind)
    {
        var eventId = TestEvents.NewId("evt_");
        var refundId = TestEvents.NewId("re_");
        var e = TestEvents.RefundSucceeded(eventId, refundId, amount: 100);
        if (kind != "refund.succeeded")
        {
            e = TestEvents.Event(eventId, kind, e["data"]!["object"]!.DeepClone().AsObject());
        }

        var body = TestEvents.Bytes(e);
        return new SignedEvent(eventId, e, body, signer.Sign(body));
    }

    /// <summary>The row <see cref="WebhookEventStore"/> writes for the event (same keys, properties and body bytes).</summary>
    private static TableEntity BareRow(SignedEvent e)
    {
        var refund = e.Event["data"]!["object"]!;
        var now = DateTimeOffset.UtcNow;
        return new TableEntity(WebhookEventStore.PartitionKeyFor(e.EventId), e.EventId)
        {
            ["Type"] = e.Event["type"]!.GetValue<string>(),
            ["Livemode"] = false,
            ["Created"] = long.Parse(e.Event["created"]!.ToJsonString(), CultureInfo.InvariantCulture),
            ["BodyLength"] = e.Body.Length,
            ["SpillRows"] = 0,
            ["Signature"] = e.Signature,
            ["ReceivedAt"] = now,
            ["RefundId"] = refund["id"]!.GetValue<string>(),
            ["ChargeId"] = refund["charge"]!.GetValue<string>(),
            ["OrderId"] = null,
            ["RequestId"] = null,
            ["Applied"] = true,
            ["AppliedAt"] = now,
            ["Body0"] = e.Body,
        };
    }

    private static string Describe(string connectionString) =>
        connectionString.Contains("UseDevelopmentStorage", StringComparison.OrdinalIgnoreCase)
            ? "Azurite 127.0.0.1:10002"
            : connectionString.Split(';').FirstOrDefault(p => p.StartsWith("TableEndpoint=", StringComparison.OrdinalIgnoreCase)) ?? "(custom)";
}
