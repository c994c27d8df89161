namespace Refunds.Infra.Tests;

/// <summary>Locates the repository by walking up to the folder that holds <c>Refunds.Functions.sln</c>.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Infra => Path.Combine(Root, "infra");

    public static string MainBicep => Path.Combine(Infra, "main.bicep");

    public static string InPlace(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>A temporary copy of infra/ (bicepconfig.json included), for tests that change files without touching the tree.</summary>
    public static DirectoryInfo CopyOfInfra()
    {
        var copy = Directory.CreateTempSubdirectory("refunds-infra-copy-");
        foreach (var file in Directory.EnumerateFiles(Infra, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy.FullName, Path.GetRelativePath(Infra, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return copy;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Refunds.Functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException(
            $"No folder above {AppContext.BaseDirectory} contains Refunds.Functions.sln; run the tests from inside the repository.");
    }
}
