using System.Net.Http.Headers;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Refunds.Core.Configuration;
using Refunds.Core.Ledger;
using Refunds.Core.Webhooks;
using Refunds.DevHost;
using Refunds.Functions.Tests.DevHost;

namespace Refunds.Functions.Tests.Webhooks;

/// <summary>Table names no other test uses (tests run in parallel and share one Azurite).</summary>
public sealed record WebhookTables(string Events, string Ledger, string Index)
{
    public static WebhookTables Unique() => new(Name("whevt"), Name("whled"), Name("whidx"));

    private static string Name(string prefix) => prefix + Guid.NewGuid().ToString("N");
}

/// <summary>
/// The dev host serving the webhook function over real HTTP, with the app's own wiring except for the table names
/// (and, for outage tests, the storage account) of the event store and the ledger, replaced through DI.
/// </summary>
public sealed class WebhookHost : IAsyncDisposable
{
    public const string Path = "/api/pingpp/webhooks";

    private readonly RunningDevHost _host;
    private readonly bool _ownsTables;

    private WebhookHost(RunningDevHost host, WebhookTables tables, CountingLedger ledger, bool ownsTables)
    {
        _host = host;
        _ownsTables = ownsTables;
        Client = host.CreateClient(key: null);
        Tables = tables;
        AppLedger = ledger;
        Store = new WebhookEventStore(new TableServiceClient(TestStorage.ConnectionString), tables.Events);
        Ledger = new RefundLedger(new TableServiceClient(TestStorage.ConnectionString), TimeProvider.System, NullLogger<RefundLedger>.Instance, tables.Ledger, tables.Index);
    }

    public WebhookTables Tables { get; }

    /// <summary>The ledger the function applies events to (counts refund changes).</summary>
    public CountingLedger AppLedger { get; }

    /// <summary>The event store on Azurite, for reading back what the function stored.</summary>
    public WebhookEventStore Store { get; }

    /// <summary>The ledger on Azurite, for reading back what the function applied.</summary>
    public RefundLedger Ledger { get; }

    /// <summary>A client without a function key, as Ping++ calls (the webhook is anonymous).</summary>
    public HttpClient Client { get; }

    public Uri WebhookUrl => new(_host.Client.BaseAddress!, Path);

    /// <param name="publicKeys">Values of Pingpp__WebhookPublicKeys__0, __1, …: PEM text or a path.</param>
    /// <param name="storage">Table Storage for the event store and the ledger; null = the app's (Azurite).</param>
    public static async Task<WebhookHost> StartAsync(
        IReadOnlyList<string> publicKeys,
        bool? allowUnsignedTestEvents = null,
        WebhookTables? tables = null,
        TableServiceClient? storage = null,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var tablesGiven = tables;
        tables ??= WebhookTables.Unique();
        CountingLedger? ledger = null;
        var options = new DevHostOptions
        {
            Functions = ["PingppWebhook"],
            ConfigureServices = services =>
            {
                services.Replace(ServiceDescriptor.Singleton(sp =>
                    new WebhookEventStore(storage ?? sp.GetRequiredService<TableServiceClient>(), tables.Events)));
                services.Replace(ServiceDescriptor.Singleton<IRefundLedger>(sp => ledger = new CountingLedger(new RefundLedger(
                    storage ?? sp.GetRequiredService<TableServiceClient>(),
                    sp.GetRequiredService<TimeProvider>(),
                    sp.GetRequiredService<ILogger<RefundLedger>>(),
                    tables.Ledger,
                    tables.Index))));
            },
        };
        for (var i = 0; i < publicKeys.Count; i++)
        {
            options.Settings[TestPingppSettings.Key(WebhookOptions.KeySettingName(i))] = publicKeys[i];
        }

        if (allowUnsignedTestEvents is { } allow)
        {
            options.Settings[TestPingppSettings.Key(SettingNames.PingppAllowUnsignedTestEvents)] = allow ? "true" : "false";
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            options.Settings[key] = value;
        }

        var host = await RunningDevHost.StartAsync(options);
        await host.Functions["PingppWebhook"].Ready.WaitAsync(TimeSpan.FromSeconds(30));
        _ = host.Services.GetRequiredService<IRefundLedger>();
        // The tables belong to the caller when it passed them in (several hosts on one set of tables).
        return new WebhookHost(host, tables, ledger!, ownsTables: tablesGiven is null);
    }

    /// <summary>POSTs <paramref name="body"/> as Ping++ does; no signature header at all when <paramref name="signature"/> is null.</summary>
    public async Task<Delivery> PostAsync(byte[] body, string? signature, string headerName = "X-Pingplusplus-Signature")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation(headerName, signature);
        }

        return await SendAsync(request);
    }

    public async Task<Delivery> SendAsync(HttpRequestMessage request)
    {
        using var response = await Client.SendAsync(request);
        return new Delivery((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Contains(HttpFunctionEndpoints.FunctionHeader));
    }

    /// <summary>Every event row and spill row in the events table (not the event log's index and re-apply rows, whose keys start with <c>~</c>).</summary>
    public async Task<int> CountEventRowsAsync()
    {
        var table = new TableClient(TestStorage.ConnectionString, Tables.Events);
        var count = 0;
        try
        {
            await foreach (var row in table.QueryAsync<TableEntity>(select: ["RowKey"]))
            {
                count += row.RowKey.StartsWith('~') ? 0 : 1;
            }
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return 0;
        }

        return count;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _host.DisposeAsync();
        if (!_ownsTables)
        {
            return;
        }

        var service = new TableServiceClient(TestStorage.ConnectionString);
        foreach (var name in new[] { Tables.Events, Tables.Ledger, Tables.Index })
        {
            try
            {
                await service.DeleteTableAsync(name);
            }
            catch (Azure.RequestFailedException)
            {
                // Cleanup only: a table never created is fine.
            }
        }
    }
}

/// <summary>What the function answered; <see cref="ReachedFunction"/> tells the function from a routing 404.</summary>
public sealed record Delivery(int Status, string Body, bool ReachedFunction);
