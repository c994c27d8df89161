using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Pingpp.Simulator.Api;

/// <summary>
/// Every <c>/v1</c> request that reached the simulator, counted before authentication, signature checks and faults:
/// what "Ping++" saw, so tests can compare it with what the merchant side did (e.g. one signature per call).
/// </summary>
public sealed class ApiCallLog
{
    private readonly ConcurrentQueue<(string Method, string Path, string Query)> _calls = new();

    public void Record(HttpRequest request) => _calls.Enqueue((request.Method, request.Path.Value ?? "", request.QueryString.Value ?? ""));

    public JsonObject AdminJson()
    {
        var calls = _calls.ToArray();
        return new JsonObject
        {
            ["count"] = calls.Length,
            ["data"] = new JsonArray([.. calls.Select(c => (JsonNode)new JsonObject { ["method"] = c.Method, ["path"] = c.Path, ["query"] = c.Query })]),
        };
    }
}
