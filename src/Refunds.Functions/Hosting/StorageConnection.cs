using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Refunds.Core.Configuration;

namespace Refunds.Functions.Hosting;

/// <summary>
/// A storage account as the Functions host reads it from one setting (<c>AzureWebJobsStorage</c> or a trigger's
/// <c>Connection</c>): either a connection string, or the identity-based form <c>{setting}__tableServiceUri</c>,
/// <c>__queueServiceUri</c> (or <c>__accountName</c>), <c>__credential</c>, <c>__clientId</c>.
/// </summary>
public sealed class StorageConnection
{
    public const string DefaultSettingName = "AzureWebJobsStorage";

    private readonly string? _connectionString;
    private readonly Uri? _tableServiceUri;
    private readonly Uri? _queueServiceUri;
    private readonly string? _clientId;
    private readonly IConfiguration _configuration;

    private StorageConnection(IConfiguration configuration, string settingName, string? connectionString, Uri? tableServiceUri, Uri? queueServiceUri, string? clientId)
    {
        _configuration = configuration;
        SettingName = settingName;
        _connectionString = connectionString;
        _tableServiceUri = tableServiceUri;
        _queueServiceUri = queueServiceUri;
        _clientId = clientId;
    }

    public string SettingName { get; }

    public bool IsIdentityBased => _connectionString is null;

    /// <summary>Safe to log: never contains a key or SAS, only the form and the endpoints.</summary>
    public string Description => IsIdentityBased
        ? $"identity-based ({(!AzureCredentials.RunsInAzure(_configuration) ? "developer credentials" : _clientId is null ? "managed identity" : "user-assigned managed identity")}; tables {_tableServiceUri?.Host ?? "-"}, queues {_queueServiceUri?.Host ?? "-"})"
        : "connection string";

    /// <summary>Reads the setting; throws <see cref="InvalidOperationException"/> naming the setting when it is absent or malformed.</summary>
    public static StorageConnection FromConfiguration(IConfiguration configuration, string settingName = DefaultSettingName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(settingName);
        var connectionString = Blank(section.Value);
        if (connectionString is not null)
        {
            try
            {
                // Parsing only (no I/O). The parser's own message is dropped: it may echo parts of the string.
                _ = new TableServiceClient(connectionString);
                _ = new QueueServiceClient(connectionString);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                throw new InvalidOperationException($"{settingName} is not a valid storage connection string.");
            }

            return new StorageConnection(configuration, settingName, connectionString, null, null, null);
        }

        var accountName = Blank(section["accountName"]);
        var tableServiceUri = ServiceUri(section, settingName, "tableServiceUri", accountName, "table");
        var queueServiceUri = ServiceUri(section, settingName, "queueServiceUri", accountName, "queue");
        if (tableServiceUri is null && queueServiceUri is null)
        {
            throw new InvalidOperationException(
                $"{settingName} is required: set it to a storage connection string (locally UseDevelopmentStorage=true), " +
                $"or use the identity-based settings {settingName}__tableServiceUri and {settingName}__queueServiceUri " +
                $"(or {settingName}__accountName) with {settingName}__credential=managedidentity and {settingName}__clientId.");
        }

        var credential = Blank(section["credential"]);
        if (credential is not null && !credential.Equals("managedidentity", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{settingName}__credential must be 'managedidentity' when set.");
        }

        return new StorageConnection(configuration, settingName, null, tableServiceUri, queueServiceUri, Blank(section["clientId"]));
    }

    public TableServiceClient CreateTableServiceClient(TableClientOptions? options = null)
    {
        if (_connectionString is not null)
        {
            return new TableServiceClient(_connectionString, options ?? new TableClientOptions());
        }

        return new TableServiceClient(
            _tableServiceUri ?? throw Missing("tableServiceUri"), CreateCredential(), options ?? new TableClientOptions());
    }

    /// <remarks>
    /// Messages are sent and read as they are (no base64 layer): host.json uses <c>messageEncoding: none</c> and the
    /// consumers accept plain JSON or base64 themselves.
    /// </remarks>
    public QueueServiceClient CreateQueueServiceClient(QueueClientOptions? options = null)
    {
        options ??= new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
        if (_connectionString is not null)
        {
            return new QueueServiceClient(_connectionString, options);
        }

        return new QueueServiceClient(_queueServiceUri ?? throw Missing("queueServiceUri"), CreateCredential(), options);
    }

    private TokenCredential CreateCredential() => AzureCredentials.Create(_configuration, _clientId);

    private InvalidOperationException Missing(string key) =>
        new($"{SettingName}__{key} is required (or {SettingName}__accountName, or a connection string in {SettingName}).");

    private static Uri? ServiceUri(IConfigurationSection section, string settingName, string key, string? accountName, string service)
    {
        var value = Blank(section[key]);
        if (value is null)
        {
            return accountName is null ? null : new Uri($"https://{accountName}.{service}.core.windows.net");
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException($"{settingName}__{key} must be an absolute http(s) URI.");
        }

        return uri;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
