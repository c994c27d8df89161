using System.Text;
using System.Text.Json;
using Refunds.Core.Pingpp;
using Refunds.Core.Webhooks;

namespace Refunds.Core.UnitTests.Webhooks;

/// <summary>
/// The single-pass parser must accept, reject (with the same reason) and fail exactly like the JsonDocument parser it
/// replaced, on real events, on edge cases of the JSON grammar, and on every truncation and many corruptions of them.
/// </summary>
public class PingppEventParserEquivalenceTests
{
    private static readonly string[] EdgeCases =
    [
        "",
        " ",
        "\uFEFF{}",
        "null",
        "\"event\"",
        "[1,2]",
        "[1,2",
        "{}",
        "{} {}",
        "{}x",
        "{} ",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"x"}}} """,
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"x"}},}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"x"}}} // c""",
        // Duplicates: the last occurrence counts.
        """{"id":"evt_1","id":"evt_2","object":"charge","object":"event","type":"x","livemode":true,"livemode":false,"data":{"object":{"object":"x"}}}""",
        """{"id":"evt_1","object":"event","object":"charge","type":"x","livemode":false,"data":{"object":{"object":"x"}}}""",
        """{"id":"evt_1","id":7,"object":"event","type":"x","livemode":false,"data":{"object":{"object":"x"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"x"}},"data":{}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{},"data":{"object":{"object":"charge","id":"ch_1"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"charge","id":"ch_1"},"object":{"object":"y"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"charge","id":"ch_1"},"object":5}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"charge","id":"ch_1","object":"refund"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"id":"re_1","object":"refund","id":"re_2"}}}""",
        // Escaped names and values mean the same as plain ones.
        """{"\u0069d":"evt_\u0031","obj\u0065ct":"ev\u0065nt","type":"x\n","livemode":false,"data":{"\u006fbject":{"object":"\u0072efund","id":"re_\u00e9"}}}""",
        // Escaped lone surrogates: a string that cannot be read.
        """{"id":"evt_1","object":"\ud800","type":"x","livemode":false,"data":{"object":{"object":"x"}}}""",
        """{"id":"\ud800","object":"event","type":"x","livemode":false,"data":{"object":{"object":"x"}}}""",
        """{"id":"evt/1","object":"event","type":"\ud800","livemode":false,"data":{"object":{"object":"x"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"request":"\udc00","data":{"object":{"object":"x","id":"\ud800"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"refund","id":"re_1","description":"\ud800"}}}""",
        """{"\ud800":1,"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"x"}}}""",
        // Wrong kinds of values.
        """{"id":"evt_1","object":"event","type":"","livemode":false,"data":{"object":{"object":"x"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":null,"data":{"object":{"object":"x"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":"false","data":{"object":{"object":"x"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":{},"data":{"object":{"object":"x"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":[{"object":{"object":"x"}}]}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":[]}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":""}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":null,"id":"a"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"created":1.5,"pending_webhooks":"2","data":{"object":{"object":"x","id":5}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"created":-3,"pending_webhooks":4294967297,"data":{"object":{"object":"x"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"created":99999999999999999999,"pending_webhooks":[1],"data":{"object":{"object":"x"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"created":1,"created":null,"data":{"object":{"object":"x"}}}""",
        // Typed objects that are and are not valid.
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"refund"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"refund","id":"re_1","amount":null,"metadata":[]}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"refund","id":"re_1","metadata":5}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"refund","ID":"re_1","Amount":3,"status":"bogus"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"order","id":"o","charges":{"data":[{"id":"c"}]}}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"charge","id":"c","paid":null,"amount":"1"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"extra":{"object":"refund","id":"no"},"object":"charge","id":"ch_1"}}}""",
        // Read as typed inside the scan, or not: kind found late, read failing half way, kind or id repeated.
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"a":1,"b":{"object":"refund"},"c":3,"object":"refund","id":"re_1"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"id":"re_1","object":"refund","amount":"12"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"id":"re_1","object":"refund","ID":"re_2"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"id":"re_1","object":"refund","object":"order"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"id":"o_1","object":"order"},"object":{"id":"re_1","object":"refund"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"id":"re_1","object":"refund"},"object":{"id":"o_1","object":"x"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"id":"re_1","object":"refund"}},"data":{"object":{"id":"ch_1","object":"charge"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"id":"re_1","object":"refund","x":[}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"id":"re_1","object":"refund","amount":99999999999999999999}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"id":"re_1","object":"refund","amount":1.5,"created":-0}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"id":"o_1","object":"order","amount":99999999999999999999}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"id":"ch_1","object":"charge","amount":99999999999999999999}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"id":"re_1","object":"refund","status":"SUCCEEDED","succeed":1}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"id":"re_1","object":"refund","status":2,"time_succeed":"1"}}}""",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"id":"re_1","object":"refund","metadata":{"a":1e999,"b":{"c":[true]}}}}}""",
        // Depth: 64 levels are allowed, 65 are not.
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"x","n":""" + new string('[', 61) + new string(']', 61) + "}}}",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"x","n":""" + new string('[', 62) + new string(']', 62) + "}}}",
        """{"id":"evt_1","object":"event","type":"x","livemode":false,"data":{"object":{"object":"refund","id":"r","metadata":{"a":""" + new string('[', 61) + new string(']', 61) + "}}}}",
    ];

    public static TheoryData<string> Samples()
    {
        var data = new TheoryData<string>();
        foreach (var text in RealEvents())
        {
            data.Add(text);
        }

        return data;
    }

    private static IEnumerable<string> RealEvents() =>
    [
        VectorFiles.Text("webhook1_body.json"),
        VectorFiles.Text("webhook2_body.json"),
        VectorFiles.Text("webhook3_body.json"),
        PingppEventParserTests.GuideOrderRefunded,
        PingppEventParserTests.RefundSucceeded(),
    ];

    [Fact]
    public void Edge_cases_give_the_same_outcome_as_the_JsonDocument_parser()
    {
        var differences = EdgeCases.Select(Encoding.UTF8.GetBytes).Select(Difference).Where(d => d is not null).ToList();
        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    [Fact]
    public void Edge_cases_cover_acceptance_every_reason_and_unreadable_strings()
    {
        var outcomes = EdgeCases.Select(Encoding.UTF8.GetBytes).Select(b => Outcome(PingppEventParser.TryParse, b).Split(':')[0]).ToHashSet();
        Assert.Contains("ok", outcomes);
        Assert.Contains("no " + PingppEventParser.UnreadableStringReason, outcomes);
        Assert.DoesNotContain(outcomes, o => o.Contains("Exception", StringComparison.Ordinal));
        foreach (var reason in new[] { "empty body", "body is not JSON", "body is not a JSON object", "object is not \"event\"", "event has no id",
                     "event id is malformed", "event has no type", "event has no livemode", "event has no data.object",
                     "data.object has no object type", "data.object is not a valid refund" })
        {
            Assert.Contains("no " + reason, outcomes);
        }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_truncation_of_a_real_event_gives_the_same_outcome(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var differences = new List<string>();
        for (var length = 0; length <= bytes.Length; length++)
        {
            if (Difference(bytes[..length]) is { } difference)
            {
                differences.Add($"length {length}: {difference}");
            }
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences.Take(20)));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Corrupting_any_byte_of_a_real_event_gives_the_same_outcome(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var differences = new List<string>();
        foreach (var replacement in "\"{}[],: x0-\\n"u8.ToArray())
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                var corrupted = (byte[])bytes.Clone();
                corrupted[i] = replacement;
                if (Difference(corrupted) is { } difference)
                {
                    differences.Add($"byte {i} -> '{(char)replacement}': {difference}");
                }
            }
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences.Take(20)));
    }

    [Fact]
    public void Random_typed_objects_give_the_same_outcome_and_never_an_exception()
    {
        // data.object built from fields of every kind of value, in random order, with duplicates: the typed read inside
        // the scan and its fallback must together give what the JsonDocument parser gives, and never throw.
        var random = new Random(20261128);
        var differences = new List<string>();
        var accepted = 0;
        for (var i = 0; i < 4000; i++)
        {
            var body = Encoding.UTF8.GetBytes(
                """{"id":"evt_1","object":"event","type":"refund.succeeded","livemode":false,"data":{"object":""" + RandomObject(random) + "}}");
            if (Difference(body) is { } difference)
            {
                differences.Add(difference);
            }

            accepted += Outcome(PingppEventParser.TryParse, body).StartsWith("ok", StringComparison.Ordinal) ? 1 : 0;
            Assert.DoesNotContain("Exception", Outcome(PingppEventParser.TryParse, body), StringComparison.Ordinal);
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences.Take(10)));
        // Both outcomes are well represented, so the comparison covered the typed path and its fallback.
        Assert.InRange(accepted, 400, 3600);
    }

    private static string RandomObject(Random random)
    {
        string[] kinds = ["\"refund\"", "\"order\"", "\"charge\"", "\"transfer\"", "\"r\\u0065fund\"", "null", "3"];
        string[] ids = ["\"re_1\"", "\"or_2\"", "null", "7", "\"\\ud800\"", "\"re_\\u00e9\""];
        string[] numbers = ["0", "12345", "-1", "1.5", "99999999999999999999", "1e3", "null", "\"12\"", "true"];
        string[] statuses = ["\"pending\"", "\"succeeded\"", "\"failed\"", "\"SUCCEEDED\"", "\"bogus\"", "1", "null"];
        string[] metadata = ["{}", "[]", "null", "{\"refund_request_id\":\"rr_1\"}", "{\"a\":1,\"b\":[true,{\"c\":null}]}", "5", "\"x\""];
        string[] booleans = ["true", "false", "null", "1"];
        string[] anything = ["{}", "[1,{\"object\":\"refund\"}]", "\"退款\"", "null", "{\"object\":\"order\",\"id\":\"x\"}"];
        var fields = new List<string>();
        void Add(string name, string[] values) => fields.Add($"\"{name}\":{values[random.Next(values.Length)]}");
        if (random.Next(10) > 0)
        {
            Add("object", kinds);
        }

        if (random.Next(10) > 0)
        {
            Add(random.Next(6) == 0 ? "ID" : "id", ids);
        }

        foreach (var (name, values) in new[]
                 {
                     ("amount", numbers), ("created", numbers), ("time_succeed", numbers), ("status", statuses), ("metadata", metadata),
                     ("succeed", booleans), ("paid", booleans), ("charge", ids), ("extra", anything), ("charges", anything),
                 })
        {
            if (random.Next(3) == 0)
            {
                Add(name, values);
            }
        }

        // Mostly Ping++'s order (id, object, …); sometimes shuffled, sometimes with a field repeated.
        if (random.Next(4) == 0)
        {
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(fields));
        }
        else if (fields.Count > 1 && fields[0].StartsWith("\"object\"", StringComparison.Ordinal))
        {
            (fields[0], fields[1]) = (fields[1], fields[0]);
        }

        if (fields.Count > 0 && random.Next(5) == 0)
        {
            fields.Add(fields[random.Next(fields.Count)]);
        }

        return "{" + string.Join(",", fields) + "}";
    }

    private delegate bool Parser(ReadOnlyMemory<byte> utf8, out PingppEvent? pingppEvent, out string? reason);

    private static string? Difference(byte[] body)
    {
        // The one intended difference: the old parser threw on an unreadable string; the new one answers a reason.
        var expected = Outcome(JsonDocumentEventParser.TryParse, body) is var old && old.StartsWith("InvalidOperationException", StringComparison.Ordinal)
            ? "no " + PingppEventParser.UnreadableStringReason
            : Outcome(JsonDocumentEventParser.TryParse, body);
        var actual = Outcome(PingppEventParser.TryParse, body);
        return expected == actual ? null : $"{Encoding.UTF8.GetString(body)}\n  JsonDocument: {expected}\n  single pass:  {actual}";
    }

    private static string Outcome(Parser parse, byte[] body)
    {
        try
        {
            return parse(body, out var e, out var reason)
                ? "ok: " + JsonSerializer.Serialize(e, PingppJson.Options)
                : "no " + reason;
        }
        catch (Exception ex)
        {
            return ex.GetType().Name + ": " + ex.Message;
        }
    }
}
