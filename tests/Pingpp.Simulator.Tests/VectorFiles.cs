namespace Pingpp.Simulator.Tests;

/// <summary>The official Ping++ vectors as copied into the test output.</summary>
internal static class VectorFiles
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "vectors", name);

    public static string Text(string name) => File.ReadAllText(PathOf(name));

    public static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));
}
