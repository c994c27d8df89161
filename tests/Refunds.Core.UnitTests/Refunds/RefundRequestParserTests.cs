using System.Text;
using Refunds.Core.Pingpp;
using Refunds.Core.Refunds;
using static Refunds.Core.UnitTests.Refunds.RefundRequestMessages;

namespace Refunds.Core.UnitTests.Refunds;

public class RefundRequestParserTests
{
    [Fact]
    public void Valid_message_becomes_a_request_with_every_parameter()
    {
        var result = RefundRequestParser.Parse(Valid, "msg-1");

        Assert.True(result.IsValid, string.Join("; ", result.Reasons));
        var request = result.Request;
        Assert.Equal("rr-1", request.RequestId);
        Assert.Equal(OrderId, request.OrderId);
        Assert.Equal("退款: damaged goods", request.Description);
        Assert.Equal("ch_eDaTe9OG0qPOz14S4KWH80eP", request.Charge);
        Assert.Equal(10, request.ChargeAmount);
        Assert.Equal(OrderRefundMode.ToSource, request.RefundMode);
        Assert.Equal(RefundFundingSource.UnsettledFunds, request.FundingSource);
        Assert.Equal(new[] { new RoyaltyUserRefund("test_user_001", 10), new RoyaltyUserRefund("test_user_002", 5) }, request.RoyaltyUsers!);
        Assert.Equal(new Dictionary<string, string> { ["shop"] = "north", ["ticket"] = "T-9" }, request.Metadata);
        Assert.Empty(result.Reasons);
        Assert.Equal(Valid, result.RawText);
        Assert.False(result.Base64Encoded);
        Assert.Equal("rr-1", result.RequestId);
        Assert.Equal(OrderId, result.OrderId);
    }

    [Fact]
    public void Minimal_message_leaves_optional_parameters_unset()
    {
        var result = RefundRequestParser.Parse($$"""{"request_id":"rr-1","order_id":"{{OrderId}}","description":"d"}""", "msg-1");

        Assert.True(result.IsValid, string.Join("; ", result.Reasons));
        Assert.Null(result.Request.Charge);
        Assert.Null(result.Request.ChargeAmount);
        Assert.Null(result.Request.RefundMode);
        Assert.Null(result.Request.FundingSource);
        Assert.Null(result.Request.RoyaltyUsers);
        Assert.Empty(result.Request.Metadata);
    }

    [Fact]
    public void Null_counts_as_absent_for_optional_fields()
    {
        var result = RefundRequestParser.Parse(With(("charge", "null"), ("charge_amount", "null"), ("refund_mode", "null"),
            ("funding_source", "null"), ("royalty_users", "null"), ("metadata", "null")), "msg-7");

        Assert.True(result.IsValid, string.Join("; ", result.Reasons));
        Assert.Equal("rr-1", result.Request.RequestId);
        Assert.Null(result.Request.Charge);
        Assert.Null(result.Request.RoyaltyUsers);
    }

    [Theory]
    // order_id
    [InlineData("order_id", null, "order_id", "is required")]
    [InlineData("order_id", "\"\"", "order_id", "must not be empty")]
    [InlineData("order_id", "\"2011/708\"", "order_id", "is not a Ping++ order id")]
    [InlineData("order_id", "\"20117080 0000007521\"", "order_id", "is not a Ping++ order id")]
    [InlineData("order_id", "\"20117080700000075212011708070000007521201170807000000752120117080\"", "order_id", "is not a Ping++ order id")]
    [InlineData("order_id", "2011708070000007521", "order_id", "must be a string")]
    // description
    [InlineData("description", null, "description", "is required")]
    [InlineData("description", "\"\"", "description", "must not be blank")]
    [InlineData("description", "\" \\t \"", "description", "must not be blank")]
    [InlineData("description", "42", "description", "must be a string")]
    // charge_amount
    [InlineData("charge_amount", "0", "charge_amount", "must be a positive number of fen")]
    [InlineData("charge_amount", "-5", "charge_amount", "must be a positive number of fen")]
    [InlineData("charge_amount", "10.5", "charge_amount", "must be a whole number of fen, not 10.5")]
    [InlineData("charge_amount", "10.0", "charge_amount", "must be a whole number of fen, not 10.0")]
    [InlineData("charge_amount", "1e3", "charge_amount", "must be a whole number of fen, not 1e3")]
    [InlineData("charge_amount", "\"10\"", "charge_amount", "not a string")]
    [InlineData("charge_amount", "true", "charge_amount", "not a boolean")]
    [InlineData("charge_amount", "2147483648", "charge_amount", "is larger than 2147483647 fen")]
    [InlineData("charge_amount", "99999999999999999999999", "charge_amount", "is larger than 2147483647 fen")]
    [InlineData("charge", null, "charge_amount", "needs charge")]
    // charge
    [InlineData("charge", "\"re_y1u944PmfnrTHyvnL0nD0iD1\"", "charge", "is not a Ping++ charge id")]
    [InlineData("charge", "\"ch_\"", "charge", "is not a Ping++ charge id")]
    [InlineData("charge", "\"ch_abc-def\"", "charge", "is not a Ping++ charge id")]
    // refund_mode, funding_source
    [InlineData("refund_mode", "\"to_card\"", "refund_mode", "must be to_source or to_balance")]
    [InlineData("refund_mode", "\"TO_SOURCE\"", "refund_mode", "must be to_source or to_balance")]
    [InlineData("refund_mode", "1", "refund_mode", "must be a string")]
    [InlineData("funding_source", "\"settled_funds\"", "funding_source", "must be unsettled_funds or recharge_funds")]
    // royalty_users
    [InlineData("royalty_users", "{\"user\":\"u\",\"amount_refunded\":1}", "royalty_users", "must be an array")]
    [InlineData("royalty_users", "[]", "royalty_users", "must not be empty")]
    [InlineData("royalty_users", "[\"u\"]", "royalty_users[0]", "must be an object")]
    [InlineData("royalty_users", "[{\"amount_refunded\":1}]", "royalty_users[0].user", "is required")]
    [InlineData("royalty_users", "[{\"user\":\" \",\"amount_refunded\":1}]", "royalty_users[0].user", "must not be blank")]
    [InlineData("royalty_users", "[{\"user\":7,\"amount_refunded\":1}]", "royalty_users[0].user", "must be a string")]
    [InlineData("royalty_users", "[{\"user\":\"u\"}]", "royalty_users[0].amount_refunded", "is required")]
    [InlineData("royalty_users", "[{\"user\":\"u\",\"amount_refunded\":0}]", "royalty_users[0].amount_refunded", "must be a positive number of fen")]
    [InlineData("royalty_users", "[{\"user\":\"u\",\"amount_refunded\":-1}]", "royalty_users[0].amount_refunded", "must be a positive number of fen")]
    [InlineData("royalty_users", "[{\"user\":\"u\",\"amount_refunded\":1.5}]", "royalty_users[0].amount_refunded", "must be a whole number of fen")]
    [InlineData("royalty_users", "[{\"user\":\"u\",\"amount_refunded\":\"1\"}]", "royalty_users[0].amount_refunded", "not a string")]
    [InlineData("royalty_users", "[{\"user\":\"u\",\"amount_refunded\":1},{\"user\":\"u\",\"amount_refunded\":2}]", "royalty_users[1].user", "'u' is listed more than once")]
    [InlineData("royalty_users", "[{\"user\":\"u\",\"amount_refunded\":1,\"note\":\"x\"}]", "royalty_users[0].note", "is not a known field")]
    [InlineData("royalty_users", "[{\"user\":\"u\",\"amount_refunded\":1,\"user\":\"v\"}]", "royalty_users[0].user", "appears more than once")]
    // metadata
    [InlineData("metadata", "\"note\"", "metadata", "must be an object")]
    [InlineData("metadata", "[\"a\"]", "metadata", "must be an object")]
    [InlineData("metadata", "{\"a\":null}", "metadata.a", "must be a string, number or boolean")]
    [InlineData("metadata", "{\"a\":{\"b\":1}}", "metadata.a", "must be a string, number or boolean")]
    [InlineData("metadata", "{\"a\":[1]}", "metadata.a", "must be a string, number or boolean")]
    [InlineData("metadata", "{\"refund_request_id\":\"other\"}", "metadata.refund_request_id", "is reserved")]
    [InlineData("metadata", "{\"\":\"x\"}", "metadata.", "key must not be blank")]
    [InlineData("metadata", "{\"a\":\"1\",\"a\":\"2\"}", "metadata.a", "appears more than once")]
    // request_id
    [InlineData("request_id", "\"\"", "request_id", "must not be empty")]
    [InlineData("request_id", "\"   \"", "request_id", "must not be empty")]
    [InlineData("request_id", "\"a/b\"", "request_id", "must not contain '/'")]
    [InlineData("request_id", "\"a\\\\b\"", "request_id", "must not contain '\\'")]
    [InlineData("request_id", "\"a#b\"", "request_id", "must not contain '#'")]
    [InlineData("request_id", "\"a?b\"", "request_id", "must not contain '?'")]
    [InlineData("request_id", "\"a\\u0001b\"", "request_id", "must not contain control characters")]
    [InlineData("request_id", "\"a\\u007fb\"", "request_id", "must not contain control characters")]
    [InlineData("request_id", "17", "request_id", "must be a string")]
    // unknown fields
    [InlineData("charge_ammount", "5", "charge_ammount", "is not a known field")]
    [InlineData("amount", "5", "amount", "is not a known field")]
    public void Each_problem_is_rejected_with_its_field_and_reason(string name, string? raw, string field, string reason)
    {
        var result = RefundRequestParser.Parse(With((name, raw)), "msg-1");

        Assert.False(result.IsValid);
        Assert.Null(result.Request);
        var only = Assert.Single(result.Reasons);
        Assert.Equal(field, only.Field);
        Assert.Contains(reason, only.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Description_of_255_characters_outside_ascii_is_accepted_and_256_rejected()
    {
        var ok = RefundRequestParser.Parse(With(("description", Quoted(new string('退', 255)))), "m");
        var tooLong = RefundRequestParser.Parse(With(("description", Quoted(new string('退', 256)))), "m");

        Assert.True(ok.IsValid, string.Join("; ", ok.Reasons));
        var reason = Assert.Single(tooLong.Reasons);
        Assert.Equal("description", reason.Field);
        Assert.Contains("longer than 255 characters (256)", reason.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Description_counts_code_points_but_also_keeps_within_the_clients_utf16_limit()
    {
        // 200 emoji = 200 code points (Ping++'s limit holds) but 400 UTF-16 units, which the Ping++ client refuses.
        var emoji = string.Concat(Enumerable.Repeat("😀", 200));

        var result = RefundRequestParser.Parse(With(("description", Quoted(emoji))), "m");

        var reason = Assert.Single(result.Reasons);
        Assert.Equal("description", reason.Field);
        Assert.Contains("UTF-16 units (400)", reason.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Largest_allowed_amount_is_accepted()
    {
        var result = RefundRequestParser.Parse(With(("charge_amount", "2147483647")), "m");

        Assert.True(result.IsValid, string.Join("; ", result.Reasons));
        Assert.Equal(int.MaxValue, result.Request.ChargeAmount);
    }

    [Fact]
    public void Metadata_numbers_and_booleans_are_kept_as_their_json_text()
    {
        var result = RefundRequestParser.Parse(With(("metadata", """{"n":42,"f":1.50,"t":true,"x":false,"s":"v"}""")), "m");

        Assert.True(result.IsValid, string.Join("; ", result.Reasons));
        Assert.Equal(new Dictionary<string, string> { ["n"] = "42", ["f"] = "1.50", ["t"] = "true", ["x"] = "false", ["s"] = "v" },
            result.Request.Metadata);
    }

    [Fact]
    public void Empty_metadata_array_from_php_means_no_metadata()
    {
        var result = RefundRequestParser.Parse(With(("metadata", "[]")), "m");

        Assert.True(result.IsValid, string.Join("; ", result.Reasons));
        Assert.Empty(result.Request.Metadata);
    }

    [Fact]
    public void Metadata_limits_on_key_count_key_length_and_value_length()
    {
        var fortyNine = "{" + string.Join(",", Enumerable.Range(0, 49).Select(i => $"\"k{i}\":\"v\"")) + "}";
        var fifty = "{" + string.Join(",", Enumerable.Range(0, 50).Select(i => $"\"k{i}\":\"v\"")) + "}";

        Assert.True(RefundRequestParser.Parse(With(("metadata", fortyNine)), "m").IsValid);
        var tooMany = Assert.Single(RefundRequestParser.Parse(With(("metadata", fifty)), "m").Reasons);
        Assert.Equal(("metadata", "has more than 49 keys (50)"), (tooMany.Field, tooMany.Reason));

        var longKey = new string('k', 41);
        var keyReason = Assert.Single(RefundRequestParser.Parse(With(("metadata", $"{{\"{longKey}\":\"v\"}}")), "m").Reasons);
        Assert.Equal(("metadata." + longKey, "key is longer than 40 characters"), (keyReason.Field, keyReason.Reason));
        Assert.True(RefundRequestParser.Parse(With(("metadata", $"{{\"{longKey[1..]}\":\"v\"}}")), "m").IsValid);

        var valueReason = Assert.Single(RefundRequestParser.Parse(With(("metadata", $"{{\"k\":{Quoted(new string('v', 501))}}}")), "m").Reasons);
        Assert.Equal(("metadata.k", "value is longer than 500 characters"), (valueReason.Field, valueReason.Reason));
        Assert.True(RefundRequestParser.Parse(With(("metadata", $"{{\"k\":{Quoted(new string('v', 500))}}}")), "m").IsValid);
    }

    [Fact]
    public void Request_id_of_128_characters_is_accepted_and_129_rejected()
    {
        Assert.True(RefundRequestParser.Parse(With(("request_id", Quoted(new string('r', 128)))), "m").IsValid);

        var reason = Assert.Single(RefundRequestParser.Parse(With(("request_id", Quoted(new string('r', 129)))), "m").Reasons);
        Assert.Equal(("request_id", "is longer than 128 characters"), (reason.Field, reason.Reason));
    }

    [Fact]
    public void A_field_given_twice_is_rejected_because_either_value_could_win()
    {
        var json = Valid[..^1] + ",\"charge_amount\":1000}";

        var result = RefundRequestParser.Parse(json, "m");

        var reason = Assert.Single(result.Reasons);
        Assert.Equal(("charge_amount", "appears more than once"), (reason.Field, reason.Reason));
    }

    [Fact]
    public void Message_with_several_problems_lists_every_one()
    {
        var json = With(
            ("order_id", "\"not/an/id\""),
            ("description", "\"  \""),
            ("charge_amount", "10.5"),
            ("refund_mode", "\"sideways\""),
            ("royalty_users", """[{"user":"u","amount_refunded":0},{"user":"u","amount_refunded":1},5]"""),
            ("metadata", """{"refund_request_id":"x","bad":[1]}"""),
            ("request_id", "\"a#b\""),
            ("charge_ammount", "5"));

        var result = RefundRequestParser.Parse(json, "msg-42");

        Assert.False(result.IsValid);
        var fields = result.Reasons.Select(r => r.Field).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(
        [
            "charge_ammount", "charge_amount", "description", "metadata.bad", "metadata.refund_request_id", "order_id",
            "refund_mode", "request_id", "royalty_users[0].amount_refunded", "royalty_users[1].user", "royalty_users[2]",
        ], fields);
        // The bad request_id cannot key the record; the queue message id can.
        Assert.Equal("msg-42", result.RequestId);
        Assert.Null(result.OrderId);
        Assert.Equal(json, result.RawText);
    }

    [Fact]
    public void Rejection_keeps_the_request_and_order_ids_to_file_it_under()
    {
        var result = RefundRequestParser.Parse(With(("description", null)), "msg-1");

        Assert.False(result.IsValid);
        Assert.Equal("rr-1", result.RequestId);
        Assert.Equal(OrderId, result.OrderId);
    }

    [Fact]
    public void A_message_without_request_id_is_rejected_and_filed_under_its_queue_message_id_never_performed_under_it()
    {
        var result = RefundRequestParser.Parse(With(("request_id", null)), "queue-msg-9");

        Assert.False(result.IsValid);
        var reason = Assert.Single(result.Reasons);
        Assert.Equal("request_id", reason.Field);
        Assert.StartsWith("is required", reason.Reason, StringComparison.Ordinal);
        Assert.Equal("queue-msg-9", result.RequestId);
    }

    [Fact]
    public void A_null_request_id_counts_as_absent_and_is_rejected()
        => Assert.Equal("request_id", Assert.Single(RefundRequestParser.Parse(With(("request_id", "null")), "m").Reasons).Field);

    [Fact]
    public void Message_request_id_wins_over_the_queue_message_id()
        => Assert.Equal("rr-1", RefundRequestParser.Parse(Valid, "queue-msg-9").Request!.RequestId);

    [Fact]
    public void Without_request_id_or_message_id_the_request_is_rejected()
    {
        var result = RefundRequestParser.Parse(With(("request_id", null)), null);

        var reason = Assert.Single(result.Reasons);
        Assert.Equal("request_id", reason.Field);
        Assert.StartsWith("is required", reason.Reason, StringComparison.Ordinal);
        Assert.Null(result.RequestId);
    }

    [Fact]
    public void Base64_and_plain_json_give_equal_requests()
    {
        var plain = RefundRequestParser.Parse(Valid, "m");
        var encoded = RefundRequestParser.Parse(Base64(Valid), "m");

        Assert.True(encoded.IsValid, string.Join("; ", encoded.Reasons));
        Assert.Equal(plain.Request, encoded.Request);
        Assert.True(encoded.Base64Encoded);
        Assert.False(plain.Base64Encoded);
        Assert.Equal(Base64(Valid), encoded.RawText);
    }

    [Fact]
    public void Base64_surrounded_by_whitespace_and_json_with_leading_whitespace_or_bom_are_read()
    {
        Assert.True(RefundRequestParser.Parse("\r\n " + Base64(Valid) + "\n", "m").IsValid);
        Assert.True(RefundRequestParser.Parse(" \t\n" + Valid, "m").IsValid);
        Assert.True(RefundRequestParser.Parse([.. "\uFEFF"u8, .. Encoding.UTF8.GetBytes(Valid)], "m").IsValid);
    }

    [Fact]
    public void Base64_message_with_invalid_content_lists_its_reasons()
    {
        var result = RefundRequestParser.Parse(Base64(With(("charge_amount", "0"))), "m");

        var reason = Assert.Single(result.Reasons);
        Assert.Equal("charge_amount", reason.Field);
        Assert.True(result.Base64Encoded);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("   \n", "is empty")]
    [InlineData("hello world", "is neither JSON nor base64-encoded JSON")]
    [InlineData("[1,2]", "must be a JSON object, not an array")]
    [InlineData("\"text\"", "must be a JSON object, not a string")]
    [InlineData("1234", "must be a JSON object, not a number")]
    [InlineData("null", "must be a JSON object, not null")]
    [InlineData("{\"order_id\":", "is not valid JSON (line 1")]
    [InlineData("{\"order_id\":\"1\",}", "is not valid JSON (line 1")]
    [InlineData("{\"a\":1} trailing", "is not valid JSON (line 1")]
    [InlineData("{/* c */}", "is not valid JSON (line 1")]
    [InlineData("WzEsMl0=", "is base64 of JSON that is not an object but an array")] // [1,2]
    [InlineData("aGVsbG8=", "is base64 but does not decode to JSON")] // hello
    [InlineData("eyJh", "is not valid JSON (base64-decoded) (line 1")] // {"a
    [InlineData("//79/A==", "is base64 but does not decode to UTF-8 text")] // FF FE FD FC
    [InlineData("eyJhIjox\nfQ==", "is neither JSON nor base64-encoded JSON")] // whitespace inside: not strict base64
    [InlineData("eyJhIjoxfQ", "is neither JSON nor base64-encoded JSON")] // unpadded
    public void Message_that_is_not_a_json_object_is_rejected(string message, string reason)
    {
        var result = RefundRequestParser.Parse(message, "m");

        var only = Assert.Single(result.Reasons);
        Assert.Equal("message", only.Field);
        Assert.StartsWith(reason, only.Reason, StringComparison.Ordinal);
        Assert.Equal(message, result.RawText);
        Assert.Equal("m", result.RequestId);
    }

    [Fact]
    public void Bytes_that_are_not_utf8_are_rejected_and_kept_as_text()
    {
        byte[] message = [(byte)'{', 0xC3, 0x28, (byte)'}'];

        var result = RefundRequestParser.Parse(message, "m");

        var reason = Assert.Single(result.Reasons);
        Assert.Equal(("message", "is not UTF-8 text"), (reason.Field, reason.Reason));
        Assert.Equal("{\uFFFD(}", result.RawText);
    }

    [Fact]
    public void Text_with_an_unpaired_surrogate_is_rejected()
    {
        var result = RefundRequestParser.Parse("{\"description\":\"\uD800\"}", "m");

        var reason = Assert.Single(result.Reasons);
        Assert.Equal("message", reason.Field);
        Assert.Contains("unpaired surrogate", reason.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Escaped_unpaired_surrogate_in_a_string_is_rejected_not_thrown()
    {
        var result = RefundRequestParser.Parse(With(("description", "\"\\ud800\"")), "m");

        Assert.False(result.IsValid);
        Assert.Contains(result.Reasons, r => r.Field == "description");
    }

    [Fact]
    public void Deeply_nested_json_is_rejected_not_thrown()
    {
        var nested = new string('[', 100) + new string(']', 100);

        var result = RefundRequestParser.Parse(With(("metadata", $"{{\"a\":{nested}}}")), "m");

        Assert.Equal("message", Assert.Single(result.Reasons).Field);
    }

    [Fact]
    public void Message_of_exactly_64_KiB_is_read_and_one_byte_more_is_rejected_before_parsing()
    {
        var exact = Pad(Valid, RefundRequestRules.MaxMessageBytes);
        var over = Pad(Valid, RefundRequestRules.MaxMessageBytes + 1);
        Assert.Equal(65_536, Encoding.UTF8.GetByteCount(exact));

        Assert.True(RefundRequestParser.Parse(exact, "m").IsValid);
        Assert.True(RefundRequestParser.Parse(Encoding.UTF8.GetBytes(exact), "m").IsValid);

        foreach (var result in new[] { RefundRequestParser.Parse(over, "m"), RefundRequestParser.Parse(Encoding.UTF8.GetBytes(over), "m") })
        {
            var reason = Assert.Single(result.Reasons);
            Assert.Equal(("message", "is 65537 bytes, more than the 65536 bytes allowed"), (reason.Field, reason.Reason));
            Assert.Equal(over, result.RawText);
            Assert.Null(result.OrderId); // nothing was read from the message
            Assert.Equal("m", result.RequestId);
        }

        // Whitespace padding keeps the JSON valid: only the size can have rejected it.
        static string Pad(string json, int bytes) => json + new string(' ', bytes - Encoding.UTF8.GetByteCount(json));
    }

    [Fact]
    public void Oversized_garbage_is_rejected_for_its_size_alone()
    {
        var garbage = "{" + new string('x', RefundRequestRules.MaxMessageBytes);

        var reason = Assert.Single(RefundRequestParser.Parse(garbage, "m").Reasons);

        Assert.Equal("message", reason.Field);
        Assert.Equal("is more than the 65536 bytes allowed", reason.Reason);
    }

    [Fact]
    public void Size_counts_utf8_bytes_not_characters()
    {
        // 22,000 CJK characters: under 64 Ki characters but 66,000 bytes.
        var json = With(("description", Quoted(new string('退', 22_000))));

        var reason = Assert.Single(RefundRequestParser.Parse(json, "m").Reasons);

        Assert.Equal("message", reason.Field);
        Assert.StartsWith("is 66", reason.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Request_too_large_to_re_enqueue_is_rejected()
    {
        // 40 × 420 CJK characters ≈ 50 KB: under the 64 KiB message limit, over the 48 KiB re-enqueue limit.
        var metadata = "{" + string.Join(",", Enumerable.Range(0, 40).Select(i => $"\"k{i}\":{Quoted(new string('退', 420))}")) + "}";

        var result = RefundRequestParser.Parse(With(("metadata", metadata)), "m");

        var reason = Assert.Single(result.Reasons);
        Assert.Equal("message", reason.Field);
        Assert.Contains("could not be re-enqueued", reason.Reason, StringComparison.Ordinal);
    }
}
