using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pingpp.Simulator.Api;

/// <summary>The parsed body of <c>POST /v1/orders/{id}/order_refunds</c>.</summary>
public sealed record RefundCreateRequest(
    string Description, string? Charge, long? ChargeAmount, string RefundMode, string? FundingSource, JsonObject Metadata)
{
    private static readonly string[] RefundModes = ["to_source", "to_balance"];
    private static readonly string[] FundingSources = ["unsettled_funds", "recharge_funds"];

    /// <summary>Parses and validates; returns an error naming the offending param.</summary>
    public static PingppApiError? TryParse(ReadOnlySpan<byte> body, out RefundCreateRequest? request)
    {
        request = null;
        JsonNode? root;
        try
        {
            root = body.IsEmpty ? null : JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return new PingppApiError(400, PingppApiError.InvalidRequest, "请求体不是合法的 JSON (request body is not valid JSON)", "invalid_json");
        }
        if (root is not JsonObject json)
        {
            return new PingppApiError(400, PingppApiError.InvalidRequest, "请求体必须是 JSON 对象 (request body must be a JSON object)", "invalid_json");
        }

        if (!TryString(json, "description", out var description) || string.IsNullOrWhiteSpace(description))
        {
            return PingppApiError.BadParam("description", "缺少参数: description (description is required)", "missing_parameter");
        }
        if (description!.Length > 255)
        {
            return PingppApiError.BadParam("description", "description 最多 255 个字符 (at most 255 characters)");
        }
        if (!TryString(json, "charge", out var charge))
        {
            return PingppApiError.BadParam("charge", "charge 必须是字符串 (charge must be a string)");
        }
        long? chargeAmount = null;
        if (json["charge_amount"] is { } amountNode)
        {
            if (amountNode.GetValueKind() != JsonValueKind.Number || !amountNode.AsValue().TryGetValue<long>(out var amount) || amount <= 0)
            {
                return PingppApiError.BadParam("charge_amount", "charge_amount 必须是正整数, 单位为分 (charge_amount must be a positive integer in fen)");
            }
            if (charge is null)
            {
                return PingppApiError.BadParam("charge_amount", "charge_amount 必须和 charge 参数同时使用 (charge_amount requires charge)");
            }
            chargeAmount = amount;
        }
        if (!TryString(json, "refund_mode", out var refundMode) || (refundMode is not null && !RefundModes.Contains(refundMode)))
        {
            return PingppApiError.BadParam("refund_mode", "refund_mode 只能是 to_source 或 to_balance");
        }
        if (!TryString(json, "funding_source", out var fundingSource) || (fundingSource is not null && !FundingSources.Contains(fundingSource)))
        {
            return PingppApiError.BadParam("funding_source", "funding_source 只能是 unsettled_funds 或 recharge_funds");
        }
        var metadataNode = json["metadata"];
        if (metadataNode is not null and not JsonObject)
        {
            return PingppApiError.BadParam("metadata", "metadata 必须是 JSON 对象 (metadata must be an object)");
        }
        if (json["royalty_users"] is { } royalty && !ValidRoyaltyUsers(royalty))
        {
            return PingppApiError.BadParam("royalty_users", "royalty_users 必须是 [{\"user\":…,\"amount_refunded\":…}] 数组");
        }

        request = new RefundCreateRequest(description, charge, chargeAmount, refundMode ?? "to_source", fundingSource,
            (JsonObject?)metadataNode?.DeepClone() ?? []);
        return null;
    }

    private static bool TryString(JsonObject json, string name, out string? value)
    {
        value = null;
        var node = json[name];
        if (node is null) return true;
        if (node.GetValueKind() != JsonValueKind.String) return false;
        value = node.GetValue<string>();
        return true;
    }

    private static bool ValidRoyaltyUsers(JsonNode node) =>
        node is JsonArray users && users.All(u =>
            u is JsonObject o
            && o["user"]?.GetValueKind() == JsonValueKind.String
            && o["amount_refunded"]?.GetValueKind() == JsonValueKind.Number);
}
