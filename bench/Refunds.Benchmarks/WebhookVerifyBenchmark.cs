using System.Diagnostics;
using System.Security.Cryptography;
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
        var rounds = SideBySide.Option(args, "--rounds", 9);
        var ops = SideBySide.Option(args, "--ops", 4000);

        using var signer = new TestWebhookSigner();
        var body = TestEvents.Bytes(TestEvents.RefundSucceeded(TestEvents.NewId("evt_"), TestEvents.NewId("re_"), amount: 12345, requestId: "rr_" + Guid.NewGuid().ToString("N")));
        var header = signer.Sign(body);
        var signature = Convert.FromBase64String(header);
        using var verifier = WebhookSignatureVerifier.FromOptions(new WebhookOptions { WebhookPublicKeys = [signer.PublicKeyPem] });
        using var bareKey = RSA.Create();
        bareKey.ImportFromPem(signer.PublicKeyPem);
        ReadOnlyMemory<byte> memory = body;

        Console.WriteLine($"webhook-verify: refund.succeeded body of {body.Length} bytes, RSA-2048, {ops} events per batch, {rounds} rounds, 1 thread");
        var result = SideBySide.RunAsync(
            "ours: Verify + PingppEventParser.TryParse",
            () => Task.FromResult(Rate(ops, () =>
            {
                if (verifier.Verify(memory.Span, header) != WebhookSignatureResult.Valid || !PingppEventParser.TryParse(memory, out _, out _))
                {
                    throw new InvalidOperationException("the benchmark event did not verify and parse");
                }
            })),
            "bare: RSA.VerifyData(body, sig, SHA256, Pkcs1)",
            () => Task.FromResult(Rate(ops, () =>
            {
                if (!bareKey.VerifyData(body, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
                {
                    throw new InvalidOperationException("the benchmark signature did not verify");
                }
            })),
            rounds).GetAwaiter().GetResult();
        result.Print(goal: 0.9);
        return 0;
    }

    private static double Rate(int ops, Action op)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < ops; i++)
        {
            op();
        }

        return ops / clock.Elapsed.TotalSeconds;
    }
}
