using System.Text.Json;
using System.Xml.Linq;

namespace Refunds.Infra.Tests.Packages;

/// <summary>
/// The pinned-version check that stands in for <c>dotnet list package --vulnerable</c> where the feed has no
/// vulnerability data: every package a project resolves (direct and transitive, from its <c>project.assets.json</c>)
/// is at or above the fixed version of each advisory in <c>known-advisories.tsv</c>, and the Microsoft.Extensions
/// packages we pin are on a patched 10.0 release, not the first one.
/// </summary>
public sealed class PackageVersionTests
{
    private sealed record Advisory(string Package, Version FixedIn, string Id);

    private static IReadOnlyList<Advisory> Advisories() =>
        [.. File.ReadLines(RepositoryPaths.InPlace("tests", "Refunds.Infra.Tests", "Packages", "known-advisories.tsv"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t'))
            .Select(f => new Advisory(f[0], Version.Parse(f[1]), f[2]))];

    /// <summary>Every (project, package, version) resolved by a project of the solution; the build writes the assets files.</summary>
    private static IEnumerable<(string Project, string Package, string Version)> ResolvedPackages()
    {
        var assets = Directory.EnumerateFiles(RepositoryPaths.InPlace("src"), "project.assets.json", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(RepositoryPaths.InPlace("tests"), "project.assets.json", SearchOption.AllDirectories))
            .Where(p => !p.Contains("WorkerExtensions", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(assets);
        foreach (var path in assets)
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            foreach (var library in document.RootElement.GetProperty("libraries").EnumerateObject())
            {
                if (library.Value.GetProperty("type").GetString() != "package")
                {
                    continue;
                }

                var slash = library.Name.IndexOf('/', StringComparison.Ordinal);
                yield return (Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(path)))!, library.Name[..slash], library.Name[(slash + 1)..]);
            }
        }
    }

    [Fact]
    public void No_resolved_package_is_below_the_fixed_version_of_a_known_advisory()
    {
        var advisories = Advisories().ToLookup(a => a.Package, StringComparer.OrdinalIgnoreCase);
        var resolved = ResolvedPackages().ToList();

        var vulnerable = resolved
            .SelectMany(p => advisories[p.Package].Select(a => (p, a)))
            .Where(x => Version.TryParse(x.p.Version.Split('-')[0], out var v) && v < x.a.FixedIn)
            .Select(x => $"{x.p.Project}: {x.p.Package} {x.p.Version} < {x.a.FixedIn} ({x.a.Id})")
            .Distinct()
            .ToList();

        Assert.True(resolved.Count > 50, $"only {resolved.Count} packages resolved: were the projects restored?");
        Assert.True(vulnerable.Count == 0, "Vulnerable packages:\n" + string.Join('\n', vulnerable));
    }

    [Fact]
    public void Pinned_microsoft_extensions_packages_are_on_a_patched_release()
    {
        var pins = XDocument.Load(RepositoryPaths.InPlace("Directory.Packages.props"))
            .Descendants("PackageVersion")
            .Select(e => (Name: (string)e.Attribute("Include")!, Version: Version.Parse((string)e.Attribute("Version")!)))
            .Where(p => p.Name.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) && p.Version.Major == 10)
            .ToList();

        Assert.NotEmpty(pins);
        Assert.All(pins, p => Assert.True(p.Version.Build > 0 || p.Version.Minor > 0, $"{p.Name} {p.Version} is the first 10.0 release; take the newest served patch"));
    }
}
