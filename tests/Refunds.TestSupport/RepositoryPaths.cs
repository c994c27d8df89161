using System.Reflection;
using Refunds.Functions.Hosting;

namespace Refunds.TestSupport;

/// <summary>The repository (the folder above the tests that holds <c>Refunds.Functions.sln</c>) and the paths the tests read in it.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string HostJson => Path.Combine(Root, "host.json");

    public static string FunctionsProject => Path.Combine(Root, "src", "Refunds.Functions");

    public static string Infra => Path.Combine(Root, "infra");

    public static string MainBicep => Path.Combine(Infra, "main.bicep");

    public static string InPlace(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>The configuration (Debug/Release) the tests were built with.</summary>
    public static string Configuration { get; } = typeof(RepositoryPaths).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Configuration").Value!;

    /// <summary>functions.metadata of the Refunds.Functions build these tests were built with.</summary>
    public static string FunctionsMetadata
    {
        get
        {
            var beside = Path.Combine(Path.GetDirectoryName(typeof(FunctionAppServices).Assembly.Location)!, "functions.metadata");
            if (File.Exists(beside))
            {
                return beside;
            }

            var inBin = Path.Combine(FunctionsProject, "bin", Configuration, "net10.0", "functions.metadata");
            return File.Exists(inBin) ? inBin : throw new FileNotFoundException("functions.metadata not found; build src/Refunds.Functions first.", inBin);
        }
    }

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
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Refunds.Functions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException(
            $"No folder above {AppContext.BaseDirectory} contains Refunds.Functions.sln; run the tests from inside the repository.");
    }
}
