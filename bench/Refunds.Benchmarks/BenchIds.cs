using System.Globalization;

namespace Refunds.Benchmarks;

/// <summary>
/// Ping++-shaped order ids for seeded orders: 19 digits, "20", a series digit, then the index spread 1,000,000 apart.
/// Not consecutive on purpose: Azurite's store (LokiJS) compares strings that look like numbers as numbers, and
/// 19-digit ids lie beyond double precision (2^53), so consecutive ids compare equal there and every write to one of
/// those partitions scans the rows of all of them (a seed of 100,000 requests then takes hours). Ping++'s ids, like
/// the simulator's, are far apart; Table Storage compares keys as strings either way.
/// </summary>
internal static class BenchIds
{
    public static string Order(int series, int index)
        => string.Create(CultureInfo.InvariantCulture, $"20{series % 10}{(long)index * 1_000_000:D16}");
}
