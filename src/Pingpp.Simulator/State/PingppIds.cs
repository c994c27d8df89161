using System.Security.Cryptography;

namespace Pingpp.Simulator.State;

/// <summary>Ids shaped like Ping++'s: prefixes + 24 alphanumerics, 19-digit order ids.</summary>
public static class PingppIds
{
    private const string Alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string Refund() => "re_" + Random24();
    public static string Charge() => "ch_" + Random24();
    public static string Event() => "evt_" + Random24();
    public static string Request() => "iar_" + Random24();

    /// <summary>19 digits, starting like Ping++'s (e.g. 2011609290000001291).</summary>
    public static string Order() => "20" + RandomDigits(17);

    public static string Digits(int count) => RandomDigits(count);

    private static string Random24() => RandomNumberGenerator.GetString(Alphanumerics, 24);

    private static string RandomDigits(int count) => RandomNumberGenerator.GetString("0123456789", count);
}
