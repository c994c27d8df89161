using System.Text.Json.Nodes;

namespace Pingpp.Simulator.Api;

/// <summary>An error in Ping++'s shape: <c>{"error":{"type","message","code","param"}}</c> with its HTTP status.</summary>
public sealed record PingppApiError(int Status, string Type, string Message, string? Code = null, string? Param = null)
{
    public const string InvalidRequest = "invalid_request_error";
    public const string ApiError = "api_error";
    public const string ChannelError = "channel_error";

    public static PingppApiError BadParam(string param, string message, string code = "invalid_parameter") =>
        new(StatusCodes.Status400BadRequest, InvalidRequest, message, code, param);

    public static PingppApiError NotFound(string message, string param) =>
        new(StatusCodes.Status404NotFound, InvalidRequest, message, "resource_missing", param);

    public JsonObject ToJson()
    {
        var error = new JsonObject { ["type"] = Type, ["message"] = Message };
        if (Code is not null) error["code"] = Code;
        if (Param is not null) error["param"] = Param;
        return new JsonObject { ["error"] = error };
    }

    public IResult ToResult() => PingppJson.Result(ToJson(), Status);
}
