using Microsoft.Playwright;

namespace Refunds.EndToEndTests.Console;

/// <summary>
/// Debian's Chromium (/usr/bin/chromium, installed by scripts/test.sh) driven by Playwright for .NET, headless, with
/// the flags this machine's closed network needs; Playwright never downloads a browser of its own. Screenshots go to
/// TestResults/ at the repository root.
/// </summary>
public sealed class ConsoleBrowser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] Flags =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private ConsoleBrowser(IPlaywright playwright, IBrowser browser, IBrowserContext context, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Context = context;
        Page = page;
        Page.Console += (_, message) =>
        {
            lock (ConsoleMessages)
            {
                ConsoleMessages.Add($"{message.Type}: {message.Text}");
            }
        };
        Page.PageError += (_, error) =>
        {
            lock (ConsoleMessages)
            {
                ConsoleMessages.Add("pageerror: " + error);
            }
        };
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>Everything the page logged (a CSP violation shows up here as "Refused to …").</summary>
    public List<string> ConsoleMessages { get; } = [];

    public static string ResultsFolder { get; } = Directory.CreateDirectory(RepositoryPaths.InPlace("TestResults")).FullName;

    public static async Task<ConsoleBrowser> LaunchAsync(Uri baseAddress)
    {
        Assert.True(File.Exists(ChromiumPath),
            $"{ChromiumPath} is missing: install Debian's chromium (scripts/test.sh does, as root: apt-get install -y chromium).");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = Flags,
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            AcceptDownloads = true,
            ViewportSize = new ViewportSize { Width = 1280, Height = 860 },
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        return new ConsoleBrowser(playwright, browser, context, page);
    }

    public async Task<string> ScreenshotAsync(string name)
    {
        var path = Path.Combine(ResultsFolder, $"console-{name}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    /// <summary>Opens the console and gives it the key at its prompt (the only place the key goes).</summary>
    public async Task SignInWithKeyAsync(string key)
    {
        await Page.GotoAsync("/api/console");
        await Page.Locator("#key-prompt").WaitForAsync();
        await Page.FillAsync("#key-input", key);
        await Page.ClickAsync("#key-submit");
        await Page.Locator("#nav").WaitForAsync();
    }

    /// <summary>Clicks an action button, answers its reason dialog and waits for the status line's answer.</summary>
    public async Task<string> ActAsync(ILocator button, string reason)
    {
        await button.ClickAsync();
        await Page.Locator("#action-dialog[open]").WaitForAsync();
        await Page.FillAsync("#action-text", reason);
        await Page.ClickAsync("#action-confirm");
        var status = Page.Locator("#status");
        await Assertions.Expect(status).Not.ToBeEmptyAsync();
        return await status.InnerTextAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
