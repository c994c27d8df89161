namespace Refunds.DevHost;

/// <summary>The folder holding <c>Refunds.Functions.sln</c>, found by walking up like <c>func</c> walks up to host.json.</summary>
public static class RepositoryRoot
{
    public const string SolutionFile = "Refunds.Functions.sln";

    public static string? Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, SolutionFile)))
                {
                    return directory.FullName;
                }
            }
        }

        return null;
    }
}
