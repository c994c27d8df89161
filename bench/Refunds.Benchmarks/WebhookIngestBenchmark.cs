using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Data.Tables;
using Refunds.Core.Ledger;
using Refunds.Core.Pingpp;
using Refunds.Core.Webhooks;
using Refunds.Functions.Tests;
using Refunds.Functions.Tests.Webhooks;

namespace Refunds.Benchmarks;

/// <summary>
/// Webhook ingestion through the function (HTTP POST to the dev host: verify, parse, store, apply) into Table Storage,
/// against a bare <see cref="TableClient.AddEntityAsync{T}"/> of the same rows at the same concurrency. Three event
/// kinds: a type the app only stores (<c>transfer.succeeded</c> with a transfer object: no refund, order or charge in
/// it, so <see cref="WebhookEventHandler"/> applies nothing and its path is one table write), <c>refund.succeeded</c> of a refund this app
/// created (its request and pending refund are seeded in the ledger before the clock starts: the common case) and
/// <c>refund.succeeded</c> of a refund the ledger does not know (recorded as external: the most expensive case). Every
/// storage request of ours is counted, so the report shows where the time goes.
/// </summary>
public static class WebhookIngestBenchmark
{
    private const string StoredOnlyType = "transfer.succeeded";
    private const string OwnRefund = "refund.succeeded (own refund)";
    private const string ExternalRefund = "refund.succeeded (external refund)";

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
            foreach (var kind in new[] { StoredOnlyType, OwnRefund, ExternalRefund })
            {
                long reads = 0, writes = 0, measured = 0;
                Console.WriteLine($"{kind}:");
                var result = await SideBySide.RunAsync(
                    "ours: POST /api/pingpp/webhooks (dev host)",
                    async () =>
                    {
                        var batch = Enumerable.Range(0, events).Select(_ => Signed(signer, kind)).ToList();
                        if (kind == OwnRefund)
                        {
                            await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (e, ct) => await SeedAsync(host, e, ct));
                        }

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
                        if (kind == StoredOnlyType && counter.Reads > 0)
                        {
                            throw new InvalidOperationException($"{kind} is not stored-only: {counter.Reads} table reads for {events} events");
                        }

                        if (kind == OwnRefund)
                        {
                            var applied = await host.Ledger.GetRefundAsync(batch[0].RefundId, CancellationToken.None);
                            if (applied is not { Status: PingppRefundStatus.Succeeded } || applied.RequestId != batch[0].RequestId)
                            {
                                throw new InvalidOperationException($"refund {batch[0].RefundId} was not applied to its request {batch[0].RequestId}");
                            }
                        }

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

    private sealed record SignedEvent(string EventId, string RefundId, string? RequestId, JsonObject Event, byte[] Body, string Signature);

    private static SignedEvent Signed(TestWebhookSigner signer, string kind)
    {
        var eventId = TestEvents.NewId("evt_");
        var refundId = TestEvents.NewId("re_");
        var requestId = kind == OwnRefund ? "rr_" + Guid.NewGuid().ToString("N") : null;
        var e = kind == StoredOnlyType
            ? TestEvents.Event(eventId, kind, Transfer(TestEvents.NewId("tr_")))
            : TestEvents.RefundSucceeded(eventId, refundId, amount: 100, requestId: requestId);

        var body = TestEvents.Bytes(e);
        return new SignedEvent(eventId, refundId, requestId, e, body, signer.Sign(body));
    }

    /// <summary>A Ping++ transfer (an object kind the app does not apply), with the fields Ping++ sends for one.</summary>
    private static JsonObject Transfer(string id) => new()
    {
        ["id"] = id,
        ["object"] = "transfer",
        ["type"] = "b2c",
        ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["time_transferred"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["livemode"] = false,
        ["status"] = "paid",
        ["app"] = "app_1Gqj58ynP0mHeX1q",
        ["channel"] = "wx_pub",
        ["order_no"] = "2011" + id[3..15],
        ["amount"] = 100,
        ["currency"] = "cny",
        ["recipient"] = "o9zpMs9jIaLynQY9N6yxcZ",
        ["description"] = "bench transfer",
        ["transaction_no"] = "1000018301201505200184147302",
        ["failure_msg"] = null,
        ["extra"] = new JsonObject(),
        ["metadata"] = new JsonObject(),
    };

    /// <summary>What the processor leaves behind for a refund it created: the request, Submitted, with the refund pending.</summary>
    private static async Task SeedAsync(WebhookHost host, SignedEvent e, CancellationToken ct)
    {
        var orderId = "2011" + Random.Shared.NextInt64(100_000_000_000_000, 999_999_999_999_999).ToString(CultureInfo.InvariantCulture);
        await host.Ledger.CreateRequestAsync(new RefundRequestRecord { RequestId = e.RequestId!, OrderId = orderId, Description = "bench" }, ct);
        var pending = new PingppRefund
        {
            Id = e.RefundId,
            Amount = 100,
            Status = PingppRefundStatus.Pending,
            Charge = "ch_" + e.RefundId[3..],
            Metadata = new Dictionary<string, string> { [PingppMetadata.RequestId] = e.RequestId! },
        };
        var submitted = await host.Ledger.RecordSubmittedAsync(e.RequestId!, [pending], ct);
        if (submitted.Outcome != RequestUpdateOutcome.Updated)
        {
            throw new InvalidOperationException($"seeding request {e.RequestId} gave {submitted.Outcome}");
        }
    }

    /// <summary>The row <see cref="WebhookEventStore"/> writes for the event (same keys, properties and body bytes).</summary>
    private static TableEntity BareRow(SignedEvent e)
    {
        var dataObject = e.Event["data"]!["object"]!;
        var isRefund = dataObject["object"]!.GetValue<string>() == "refund";
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
            ["RefundId"] = isRefund ? dataObject["id"]!.GetValue<string>() : null,
            ["ChargeId"] = isRefund ? dataObject["charge"]!.GetValue<string>() : null,
            ["OrderId"] = null,
            ["RequestId"] = e.RequestId,
            ["Applied"] = true,
            ["AppliedAt"] = now,
            ["AppliedAs"] = isRefund ? WebhookEventStore.AppliedAsRefund : WebhookEventStore.AppliedAsNothing,
            ["Body0"] = e.Body,
        };
    }

    private static string Describe(string connectionString) =>
        connectionString.Contains("UseDevelopmentStorage", StringComparison.OrdinalIgnoreCase)
            ? "Azurite 127.0.0.1:10002"
            : connectionString.Split(';').FirstOrDefault(p => p.StartsWith("TableEndpoint=", StringComparison.OrdinalIgnoreCase)) ?? "(custom)";
}
