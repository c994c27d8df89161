using Refunds.Benchmarks;

return args is ["reconcile", ..]
    ? await ReconcileBenchmark.RunAsync(args[1..])
    : Usage();

static int Usage()
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project bench/Refunds.Benchmarks -- reconcile [--finished N] [--open N]");
    Console.Error.WriteLine("env REFUNDS_TEST_STORAGE: storage connection string (default UseDevelopmentStorage=true, i.e. Azurite)");
    return 2;
}
