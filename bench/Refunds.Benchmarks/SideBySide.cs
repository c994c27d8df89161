using System.Globalization;

namespace Refunds.Benchmarks;

/// <summary>
/// Runs two contenders in interleaved rounds (A then B, then B then A, …) after a discarded warm-up round, so machine
/// noise hits both alike; reports each side's median throughput and the median of the per-round ratios.
/// </summary>
public static class SideBySide
{
    public sealed record Result(string Ours, string Bare, double OursPerSecond, double BarePerSecond, double MedianRatio, IReadOnlyList<double> Ratios)
    {
        public void Print(double goal)
        {
            Console.WriteLine($"  {Ours,-44} {OursPerSecond,10:F0} /s (median)");
            Console.WriteLine($"  {Bare,-44} {BarePerSecond,10:F0} /s (median)");
            Console.WriteLine($"  ratio ours/bare: {MedianRatio.ToString("F2", CultureInfo.InvariantCulture)} median of {Ratios.Count} rounds "
                + $"[{string.Join(' ', Ratios.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))}]; goal >= {goal.ToString("F2", CultureInfo.InvariantCulture)}: "
                + (MedianRatio >= goal ? "met" : "NOT met"));
        }
    }

    /// <param name="ours">Runs one batch, returns operations per second.</param>
    public static async Task<Result> RunAsync(string oursName, Func<Task<double>> ours, string bareName, Func<Task<double>> bare, int rounds)
    {
        await ours();
        await bare();
        var oursRates = new List<double>();
        var bareRates = new List<double>();
        var ratios = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            double o, b;
            if (round % 2 == 0)
            {
                o = await ours();
                b = await bare();
            }
            else
            {
                b = await bare();
                o = await ours();
            }

            oursRates.Add(o);
            bareRates.Add(b);
            ratios.Add(o / b);
            Console.WriteLine($"  round {round + 1}/{rounds}: ours {o:F0} /s, bare {b:F0} /s, ratio {(o / b).ToString("F2", CultureInfo.InvariantCulture)}");
        }

        return new Result(oursName, bareName, Median(oursRates), Median(bareRates), Median(ratios), ratios);
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
    }
}
