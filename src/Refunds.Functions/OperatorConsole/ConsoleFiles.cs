using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Refunds.Functions.OperatorConsole;

/// <summary>
/// The console's files, embedded in the Functions assembly under <c>console/…</c> (Refunds.Functions.csproj), read
/// once. Only these names are served: no file system path is ever built from a request.
/// </summary>
public static class ConsoleFiles
{
    public const string IndexPage = "index.html";

    private const string ResourcePrefix = "console/";

    /// <summary>
    /// Strict: scripts and styles from this origin only (no inline script or style, no eval), data calls to this origin
    /// only, no frames, no forms, no plugins; the SVG chart is drawn in the DOM, so no image source is needed but self.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static readonly IReadOnlyList<KeyValuePair<string, string>> SecurityHeaders =
    [
        new("Content-Security-Policy", ContentSecurityPolicy),
        new("X-Content-Type-Options", "nosniff"),
        new("Referrer-Policy", "no-referrer"),
        new("X-Frame-Options", "DENY"),
        new("Cross-Origin-Opener-Policy", "same-origin"),
        new("Cross-Origin-Resource-Policy", "same-origin"),
    ];

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".ico"] = "image/x-icon",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static readonly Lazy<FrozenDictionary<string, ConsoleFile>> Files = new(Load);

    /// <summary>Every file served, by its path under <c>/api/console/</c>.</summary>
    public static IReadOnlyCollection<string> Names => Files.Value.Keys;

    /// <summary>The file at <paramref name="path"/> (case-sensitive, as on a web server), or null.</summary>
    public static ConsoleFile? Find(string path) => Files.Value.GetValueOrDefault(path);

    private static FrozenDictionary<string, ConsoleFile> Load()
    {
        var assembly = typeof(ConsoleFiles).Assembly;
        var files = new Dictionary<string, ConsoleFile>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var name = resource[ResourcePrefix.Length..];
            if (!ContentTypes.TryGetValue(Path.GetExtension(name), out var contentType))
            {
                throw new InvalidOperationException($"Console file {name} has no content type; add its extension to ConsoleFiles.ContentTypes.");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var content = copy.ToArray();
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content), 0, 8) + "\"";
            files[name] = new ConsoleFile(name, contentType, content, etag);
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}

/// <param name="ETag">A strong validator: the first 64 bits of the content's SHA-256, quoted.</param>
public sealed record ConsoleFile(string Name, string ContentType, byte[] Content, string ETag);
