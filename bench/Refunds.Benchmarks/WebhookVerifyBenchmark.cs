using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Refunds.Core.Pingpp;
using Refunds.Core.Webhooks;
using Refunds.Functions.Tests.Webhooks;

namespace Refunds.Benchmarks;

/// <summary>
/// Per-event cost of accepting a webhook in memory (signature check + event parse, as <see cref="WebhookReceiver"/>
/// does them) against the physical limit: one bare RSA-SHA256 PKCS#1 verification of the same body.
/// </summary>
public static class WebhookVerifyBenchmark
{
    public static int Run(string[] args)
    {
        var rounds = SideBySide.Option(args, "--rounds", 15);
        var ops = SideBySide.Option(args, "--ops", 4000);
        const int Slice = 100;

        // Tiered JIT: the first rounds still run partly unoptimized code (they measured 0.6-0.7); three are discarded.
        const int WarmUpRounds = 3;

        using var signer = new TestWebhookSigner();
        var e = TestEvents.RefundSucceeded(TestEvents.NewId("evt_"), TestEvents.NewId("re_"), amount: 12345, requestId: "rr_" + Guid.NewGuid().ToString("N"));
        // Padded to about 1 KiB, the size of a real refund.succeeded with a longer description and extra fields.
        e["padding"] = new string('x', Math.Max(0, 1024 - TestEvents.Bytes(e).Length - 13));
        var body = TestEvents.Bytes(e);
        var header = signer.Sign(body);
        var signature = Convert.FromBase64String(header);
        using var verifier = WebhookSignatureVerifier.FromOptions(new WebhookOptions { WebhookPublicKeys = [signer.PublicKeyPem] });
        using var bareKey = RSA.Create();
        bareKey.ImportFromPem(signer.PublicKeyPem);
        ReadOnlyMemory<byte> memory = body;

        Action ours = () =>
        {
            if (verifier.Verify(memory.Span, header) != WebhookSignatureResult.Valid || !PingppEventParser.TryParse(memory, out _, out _))
            {
                throw new InvalidOperationException("the benchmark event did not verify and parse");
            }
        };
        Action verifyOnly = () =>
        {
            if (verifier.Verify(memory.Span, header) != WebhookSignatureResult.Valid)
            {
                throw new InvalidOperationException("the benchmark event did not verify");
            }
        };
        Action parseOnly = () =>
        {
            if (!PingppEventParser.TryParse(memory, out _, out _))
            {
                throw new InvalidOperationException("the benchmark event did not parse");
            }
        };
        // Issue 16.4: the same verify with the event read by System.Text.Json source-generated deserialization.
        Action oursStj = () =>
        {
            if (verifier.Verify(memory.Span, header) != WebhookSignatureResult.Valid || !StjEventParser.TryParse(memory, out _, out _))
            {
                throw new InvalidOperationException("the benchmark event did not verify and parse (System.Text.Json)");
            }
        };
        Action parseOnlyStj = () =>
        {
            if (!StjEventParser.TryParse(memory, out _, out _))
            {
                throw new InvalidOperationException("the benchmark event did not parse (System.Text.Json)");
            }
        };
        if (!PingppEventParser.TryParse(memory, out var handWritten, out _) || !StjEventParser.TryParse(memory, out var served, out _)
            || JsonSerializer.Serialize(handWritten, PingppJson.Options) != JsonSerializer.Serialize(served, PingppJson.Options))
        {
            throw new InvalidOperationException("the two parsers read the benchmark event differently");
        }

        Action bare = () =>
        {
            if (!bareKey.VerifyData(body, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            {
                throw new InvalidOperationException("the benchmark signature did not verify");
            }
        };

        Console.WriteLine($"webhook-verify: refund.succeeded body of {body.Length} bytes, RSA-2048, {ops} events per side per round "
            + $"(interleaved in slices of {Slice}), {rounds} rounds after {WarmUpRounds} warm-up rounds, 1 thread");
        Action[] sides = [ours, bare, verifyOnly, parseOnly, oursStj, parseOnlyStj];
        var rates = sides.Select(_ => new List<double>()).ToArray();
        var ratios = new List<double>();
        var ratiosStj = new List<double>();
        for (var round = -WarmUpRounds; round < rounds; round++)
        {
            var elapsed = new long[sides.Length];
            for (var slice = 0; slice < ops / Slice; slice++)
            {
                // Alternate which side goes first so drift in machine speed hits all sides alike.
                for (var k = 0; k < sides.Length; k++)
                {
                    var i = (k + slice) % sides.Length;
                    var start = Stopwatch.GetTimestamp();
                    for (var n = 0; n < Slice; n++)
                    {
                        sides[i]();
                    }

                    elapsed[i] += Stopwatch.GetTimestamp() - start;
                }
            }

            if (round < 0)
            {
                continue;
            }

            var perSecond = elapsed.Select(t => (ops / Slice * Slice) / ((double)t / Stopwatch.Frequency)).ToArray();
            for (var i = 0; i < sides.Length; i++)
            {
                rates[i].Add(perSecond[i]);
            }

            ratios.Add(perSecond[0] / perSecond[1]);
            ratiosStj.Add(perSecond[4] / perSecond[1]);
        }

        var result = new SideBySide.Result(
            "ours: Verify + PingppEventParser.TryParse", "bare: RSA.VerifyData(body, sig, SHA256, Pkcs1)",
            SideBySide.Median(rates[0]), SideBySide.Median(rates[1]), SideBySide.Median(ratios), ratios);
        result.Print(goal: 0.9);
        var verifyRate = SideBySide.Median(rates[2]);
        var parseRate = SideBySide.Median(rates[3]);
        Console.WriteLine($"  where the time goes (medians): Verify alone {verifyRate:F0} /s = {1e6 / verifyRate:F1} us, "
            + $"TryParse alone {parseRate:F0} /s = {1e6 / parseRate:F1} us, bare verify {1e6 / result.BarePerSecond:F1} us, ours {1e6 / result.OursPerSecond:F1} us per event");
        var stjRate = SideBySide.Median(rates[4]);
        var stjParseRate = SideBySide.Median(rates[5]);
        Console.WriteLine($"  System.Text.Json source-generated instead (issue 16.4): ours {stjRate:F0} /s = {1e6 / stjRate:F1} us, ratio (median) "
            + $"{SideBySide.Median(ratiosStj):F2} (rounds {ratiosStj.Min():F2}-{ratiosStj.Max():F2}), TryParse alone {stjParseRate:F0} /s = {1e6 / stjParseRate:F1} us");
        return 0;
    }
}
