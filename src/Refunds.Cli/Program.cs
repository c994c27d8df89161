namespace Refunds.Cli;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // First Ctrl-C: stop politely (the runner prints "canceled"); a second one kills the process.
            e.Cancel = !cts.IsCancellationRequested;
            cts.Cancel();
        };
        Console.OutputEncoding = System.Text.Encoding.UTF8;
        var console = new CliConsole(Console.Out, Console.Error, Interactive: !Console.IsOutputRedirected, Environment.GetEnvironmentVariable);
        return await CliApp.RunAsync(args, console, cts.Token).ConfigureAwait(false);
    }
}
