using Pingpp.Simulator;

await SimulatorApp.Build(args).RunAsync();
