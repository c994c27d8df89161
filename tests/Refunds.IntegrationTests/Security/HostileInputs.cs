using System.Globalization;
using System.Text;
using System.Text.Json;
using CsCheck;

namespace Refunds.IntegrationTests.Security;

/// <summary>
/// What an attacker (or a broken sender) throws at the app, as CsCheck generators: random bytes, random JSON of any
/// shape and depth, JSON shaped like our inputs with hostile values at every known field, mutations of valid bodies,
/// odd encodings. Generated from a fixed seed (<c>REFUNDS_HOSTILE_SEED</c>) so a CI failure reproduces; a larger run
/// on demand with <c>REFUNDS_HOSTILE_ITERATIONS</c>.
/// </summary>
internal static class HostileInputs
{
    public static ulong Seed => ulong.TryParse(Environment.GetEnvironmentVariable("REFUNDS_HOSTILE_SEED"), out var seed) ? seed : 20261205;

    public static int Iterations(int ciDefault)
        => int.TryParse(Environment.GetEnvironmentVariable("REFUNDS_HOSTILE_ITERATIONS"), out var n) && n > 0 ? n : ciDefault;

    /// <summary><paramref name="count"/> values of <paramref name="gen"/>, the same for the same seed and stream.</summary>
    public static List<T> Take<T>(Gen<T> gen, int count, uint stream)
    {
        var pcg = new PCG(stream, Seed);
        return [.. Enumerable.Range(0, count).Select(_ => gen.Generate(pcg, null, out Size _))];
    }

    /// <summary>Strings meant to break parsers, keys, logs and screens.</summary>
    public static readonly string[] NastyStrings =
    [
        "", " ", "null", "a|b", "a~b", "a/b", "a#b", "a?b", "a\\b", "..", "%00", "%2F", "\u0000", "\u0007", "\t", "\r\n",
        "\u202Eevil", "\u2066x\u2069", "\u00A0", "\uFEFF", "\u0085", "\uD800", "\uDC00x", "订单", "🙂", "' OR 1=1 --",
        "<script>alert(1)</script>", "${jndi:ldap://x}", "@Microsoft.KeyVault(SecretUri=https://x)", new string('x', 129),
        new string('9', 400), "re_" + new string('A', 24), "ch_" + new string('B', 24), "evt_" + new string('C', 24),
        "2011708070000007521", "sk_live_" + new string('k', 24),
    ];

    private static readonly Gen<string> NastyString = Gen.OneOf(NastyStrings.Select(Gen.Const).ToArray());

    /// <summary>A JSON string literal; may hold escapes the reader must refuse or decode (lone surrogates included).</summary>
    private static readonly Gen<string> JsonString = Gen.Frequency(
        (3, Gen.String[0, 40].Select(s => JsonSerializer.Serialize(s))),
        (3, NastyString.Select(s => JsonSerializer.Serialize(s))),
        (1, Gen.Const("\"\\ud800\"")),
        (1, Gen.Const("\"\\u0000\"")),
        (1, Gen.Const("\"unterminated")));

    private static readonly Gen<string> JsonNumber = Gen.OneOf(
        Gen.Long.Select(l => l.ToString(CultureInfo.InvariantCulture)),
        Gen.Int[-5, 5].Select(i => i.ToString(CultureInfo.InvariantCulture)),
        Gen.Double.Select(d => double.IsFinite(d) ? d.ToString("R", CultureInfo.InvariantCulture) : "1e999"),
        Gen.Const("99999999999999999999999999"),
        Gen.Const("-0"),
        Gen.Const("1e999"),
        Gen.Const("0x10"),
        Gen.Const("NaN"),
        Gen.Const("01"));

    private static readonly Gen<string> Scalar = Gen.Frequency(
        (3, JsonString),
        (3, JsonNumber),
        (1, Gen.Const("null")),
        (1, Gen.Bool.Select(b => b ? "true" : "false")));

    /// <summary>Any JSON value (and some near-JSON) up to <paramref name="depth"/> levels.</summary>
    public static Gen<string> Value(int depth) => depth <= 0
        ? Scalar
        : Gen.Frequency(
            (4, Scalar),
            (1, Value(depth - 1).Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
            (1, Gen.Select(JsonString, Value(depth - 1)).Array[0, 4]
                .Select(members => "{" + string.Join(",", members.Select(m => m.Item1 + ":" + m.Item2)) + "}")));

    /// <summary>JSON nested far deeper than any reader should follow.</summary>
    public static readonly Gen<string> DeepJson = Gen.Int[64, 20_000].Select(depth =>
        string.Concat(Enumerable.Repeat("[", depth)) + string.Concat(Enumerable.Repeat("]", depth)));

    /// <summary>An object with the given fields, each either its good value or a hostile one; some fields dropped, some doubled.</summary>
    public static Gen<string> Shaped(params (string Name, string Good)[] fields)
        => Gen.Select(Gen.Bool.Array[fields.Length], Value(2).Array[fields.Length], Gen.Int[0, 9].Array[fields.Length])
            .Select((useGood, hostile, fate) =>
            {
                var members = new List<string>();
                for (var i = 0; i < fields.Length; i++)
                {
                    var value = useGood[i] ? fields[i].Good : hostile[i];
                    switch (fate[i])
                    {
                        case 0:
                            break; // dropped
                        case 1:
                            members.Add($"\"{fields[i].Name}\":{value}");
                            members.Add($"\"{fields[i].Name}\":{fields[i].Good}"); // duplicate key
                            break;
                        default:
                            members.Add($"\"{fields[i].Name}\":{value}");
                            break;
                    }
                }

                return "{" + string.Join(",", members) + "}";
            });

    /// <summary>Byte-level damage to a valid body: a flipped bit, a byte inserted or removed, a cut, a stray BOM, UTF-16.</summary>
    public static Gen<byte[]> Mutated(byte[] valid) => Gen.Select(Gen.Int[0, 6], Gen.Int[0, valid.Length - 1], Gen.Byte)
        .Select((kind, at, b) => kind switch
        {
            0 => Flip(valid, at, b),
            1 => [.. valid[..at], b, .. valid[at..]],
            2 => [.. valid[..at], .. valid[(at + 1)..]],
            3 => valid[..at],
            4 => [0xEF, 0xBB, 0xBF, .. valid],
            5 => Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(valid)),
            _ => [.. valid, .. valid],
        });

    /// <summary>Any of the above, as bytes: random bytes, random JSON, deep JSON, or the shaped input.</summary>
    public static Gen<byte[]> Body(Gen<string> shaped, byte[] valid) => Gen.Frequency(
        (2, Gen.Byte.Array[0, 512]),
        (2, Value(4).Select(Encoding.UTF8.GetBytes)),
        (1, DeepJson.Select(Encoding.UTF8.GetBytes)),
        (6, shaped.Select(Encoding.UTF8.GetBytes)),
        (3, Mutated(valid)));

    private static byte[] Flip(byte[] valid, int at, byte mask)
    {
        var copy = valid.ToArray();
        copy[at] ^= mask == 0 ? (byte)1 : mask;
        return copy;
    }
}
