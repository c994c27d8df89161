namespace Refunds.TestSupport;

/// <summary>The official Ping++ vectors as each test project copies them into its output (vectors/), read as raw bytes.</summary>
public static class VectorFiles
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "vectors", name);

    public static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));

    public static string Text(string name) => File.ReadAllText(PathOf(name));
}
