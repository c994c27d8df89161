using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Refunds.Core.Configuration;
using Refunds.Core.Ledger;
using Refunds.Core.Webhooks;
using Refunds.DevHost;
using Refunds.Functions.Tests;
using Refunds.Functions.Tests.DevHost;
using Refunds.Functions.Tests.Webhooks;

namespace Refunds.IntegrationTests.Cli;

/// <summary>
/// The app in the dev host on loopback, keys on, on Azurite with tables and a queue of its own, for the CLI's
/// operator commands end to end: the CLI talks real HTTP to it with the host's master key (as <c>MASTER_KEY</c>).
/// Webhooks are signed with a key of the test, whose public half the app is configured with.
/// </summary>
public sealed class OperatorHost : IAsyncLifetime
{
    private RunningDevHost? _host;

    public TestWebhookSigner Signer { get; } = new();

    public RunningDevHost Host => _host ?? throw new InvalidOperationException("not started");

    /// <summary>What <c>source .local/refunds.env</c> would set for this host.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["APP"] = Host.BaseAddress.ToString(),
        ["KEY"] = Host.Keys.HostKeys[Refunds.DevHost.Keys.SecretsFolder.DefaultKeyName],
        ["MASTER_KEY"] = Host.Keys.MasterKey,
    };

    public WebhookEventStore Events => Host.Services.GetRequiredService<WebhookEventStore>();

    public IRefundLedger Ledger => Host.Services.GetRequiredService<IRefundLedger>();

    public async Task InitializeAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var options = new DevHostOptions();
        options.Settings[TestPingppSettings.Key(SettingNames.PingppWebhookPublicKeys0)] = Signer.PublicKeyPem;
        options.Settings[SettingNames.RefundRequestsQueue] = "cliops-" + suffix;
        options.Settings[SettingNames.ReconcileSchedule] = "0 0 3 1 1 *"; // once a year: reconciliation stays out of the way
        foreach (var (setting, table) in Refunds.EndToEndTests.Support.RefundSystem.UniqueTables("ops" + suffix).All())
        {
            options.Settings[TestPingppSettings.Key(setting)] = table;
        }

        _host = await RunningDevHost.StartAsync(options);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        Signer.Dispose();
    }

    /// <summary>POSTs a signed webhook to the app, as Ping++ does, and returns the HTTP status.</summary>
    public async Task<int> DeliverAsync(byte[] body)
    {
        using var content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/pingpp/webhooks") { Content = content };
        request.Headers.TryAddWithoutValidation(WebhookSignatureVerifier.SignatureHeaderName, Signer.Sign(body));
        using var client = Host.CreateClient(null);
        using var response = await client.SendAsync(request);
        return (int)response.StatusCode;
    }

    /// <summary>A signed event stored as by a delivery whose apply failed (stored, not applied).</summary>
    public async Task StorePendingAsync(string eventId, string refundId)
    {
        var body = TestEvents.Bytes(TestEvents.RefundSucceeded(eventId, refundId));
        var added = await Events.AddAsync(new StoredWebhookEvent
        {
            EventId = eventId,
            Type = "refund.succeeded",
            Body = body,
            SignatureHeader = Signer.Sign(body),
            ReceivedAt = DateTimeOffset.UtcNow,
            RefundId = refundId,
        }, CancellationToken.None);
        Assert.True(added.Added);
    }

    /// <summary>A refund request recorded in the ledger as the queue function records it, then moved by <paramref name="move"/> (e.g. dead-lettered).</summary>
    public async Task<string> RequestAsync(string prefix, Func<IRefundLedger, string, Task> move)
    {
        var requestId = prefix + Guid.NewGuid().ToString("N")[..8];
        // A charge amount under the approval limit: this host has no Ping++ to read a whole-order amount from, and a
        // request whose amount cannot be known waits for approval (fail closed).
        var request = new Refunds.Core.Refunds.RefundRequest { RequestId = requestId, OrderId = OrderId, Description = "退款", Charge = "ch_cliops0000000000001", ChargeAmount = 100 };
        await Ledger.CreateRequestAsync(Refunds.Core.Refunds.RefundRequestLedgerMapping.ToLedgerRecord(request), CancellationToken.None);
        await move(Ledger, requestId);
        return requestId;
    }

    /// <summary>The order of the requests made by <see cref="RequestAsync"/>.</summary>
    public const string OrderId = "2011708070000007599";

    /// <summary>Runs the CLI with this host's environment.</summary>
    public Task<CliRun> RunAsync(params string[] args) => CliRun.RunWithEnvironmentAsync(Environment, args);

    /// <summary>A GET with the master key (the route's own answers, not through the CLI).</summary>
    public async Task<(int Status, string Body)> GetAsync(string path, string? key = "master")
    {
        using var client = Host.CreateClient(key == "master" ? Host.Keys.MasterKey : key);
        using var response = await client.GetAsync(path);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
