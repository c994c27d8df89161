using Refunds.Benchmarks;

return args switch
{
    ["webhook-verify", ..] => WebhookVerifyBenchmark.Run(args[1..]),
    ["webhook-ingest", ..] => await WebhookIngestBenchmark.RunAsync(args[1..]),
    ["refund-batch", ..] => await RefundBatchBenchmark.RunAsync(args[1..]),
    ["reconcile", ..] => await ReconcileBenchmark.RunAsync(args[1..]),
    ["search", ..] => await SearchBenchmark.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project bench/Refunds.Benchmarks -- <scenario> [options]");
    Console.Error.WriteLine("  webhook-verify  [--rounds N] [--ops N]                      verify + parse vs bare RSA.VerifyData");
    Console.Error.WriteLine("  webhook-ingest  [--rounds N] [--events N] [--concurrency N]  POST through the function vs bare AddEntity");
    Console.Error.WriteLine("  refund-batch    [--rounds N] [--requests N] [--latency-ms N]  batch 16/8 vs batch 1, simulator 50 ms latency");
    Console.Error.WriteLine("  reconcile       [--finished N] [--open N] [--watched N] [--due N]   one timer run: open alone, + due re-checks, + N finished");
    Console.Error.WriteLine("  search          [--requests N] [--rounds N]                 each search filter and a CSV export over N requests");
    Console.Error.WriteLine("env REFUNDS_TEST_STORAGE: storage connection string (default UseDevelopmentStorage=true, i.e. Azurite)");
    return 2;
}
