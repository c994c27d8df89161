using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pingpp.Simulator.Api;

/// <summary>How the simulator writes JSON: Chinese as raw UTF-8 bytes, like Ping++ (not \uXXXX escapes).</summary>
public static class PingppJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString(Options));

    public static IResult Result(JsonNode node, int status = StatusCodes.Status200OK) =>
        Results.Text(node.ToJsonString(Options), "application/json; charset=utf-8", Encoding.UTF8, status);

    public static JsonObject List(string url, JsonArray data, bool hasMore = false) => new()
    {
        ["object"] = "list",
        ["url"] = url,
        ["has_more"] = hasMore,
        ["data"] = data,
    };
}
