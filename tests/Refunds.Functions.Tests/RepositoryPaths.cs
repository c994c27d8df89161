using System.Reflection;
using Refunds.Functions.Hosting;

namespace Refunds.Functions.Tests;

public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string HostJson => Path.Combine(Root, "host.json");

    public static string FunctionsProject => Path.Combine(Root, "src", "Refunds.Functions");

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

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Refunds.Functions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Refunds.Functions.sln not found above " + AppContext.BaseDirectory);
    }
}
