using Refunds.DevHost;

// dotnet run --project src/Refunds.DevHost -- --urls http://127.0.0.1:7071 [--settings path] [--secrets dir] [--functions A B]
await DevHostApplication.Build(args).RunAsync();
