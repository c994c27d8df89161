namespace Refunds.IntegrationTests.Support;

/// <summary>
/// One <see cref="SimulatorServer"/> for a whole test class (<c>IClassFixture&lt;SharedSimulator&gt;</c>). Only for
/// tests that seed their own orders and set no faults: faults are global to a server.
/// </summary>
public sealed class SharedSimulator : IAsyncLifetime
{
    private SimulatorServer? _server;

    public SimulatorServer Server => _server ?? throw new InvalidOperationException("The simulator has not started.");

    public async Task InitializeAsync() => _server = await SimulatorServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
