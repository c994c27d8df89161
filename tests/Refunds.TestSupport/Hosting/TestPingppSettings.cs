using System.Security.Cryptography;
using Refunds.Core.Configuration;

namespace Refunds.Functions.Tests;

/// <summary>
/// Ping++ settings every start of the app needs (the client and the webhook receiver validate them on start), with
/// key pairs generated for this test run and written to a temporary directory, as a merchant's key files would be.
/// </summary>
public static class TestPingppSettings
{
    private static readonly Lazy<KeyFiles> Files = new(KeyFiles.Create);

    /// <summary>PEM file of the merchant private key that signs our requests to Ping++.</summary>
    public static string MerchantPrivateKeyPath => Files.Value.MerchantPrivateKeyPath;

    /// <summary>PEM text of that key's public half (what the simulator checks request signatures with).</summary>
    public static string MerchantPublicKeyPem => Files.Value.MerchantPublicKeyPem;

    /// <summary>A Ping++ public key nobody signs with: the app starts, and every signed delivery fails against it.</summary>
    public static string UnusedWebhookPublicKeyPath => Files.Value.UnusedWebhookPublicKeyPath;

    public const string ApiKey = "sk_test_functionsTestsKey0001";

    /// <summary>The app-setting name as a configuration key (<c>Pingpp__ApiKey</c> → <c>Pingpp:ApiKey</c>).</summary>
    public static string Key(string settingName) => settingName.Replace("__", ":", StringComparison.Ordinal);

    /// <summary>Working values for every Ping++ setting validated on start. Nothing listens on the API base.</summary>
    public static Dictionary<string, string?> Baseline() => new(StringComparer.OrdinalIgnoreCase)
    {
        [Key(SettingNames.PingppApiBase)] = "http://127.0.0.1:1",
        [Key(SettingNames.PingppApiKey)] = ApiKey,
        [Key(SettingNames.PingppSigningPrivateKey)] = MerchantPrivateKeyPath,
        [Key(SettingNames.PingppWebhookPublicKeys0)] = UnusedWebhookPublicKeyPath,
    };

    /// <summary>Adds the baseline values the caller has not set itself.</summary>
    public static void AddMissingTo(IDictionary<string, string?> settings)
    {
        foreach (var (key, value) in Baseline())
        {
            settings.TryAdd(key, value);
        }
    }

    private sealed record KeyFiles(string MerchantPrivateKeyPath, string MerchantPublicKeyPem, string UnusedWebhookPublicKeyPath)
    {
        public static KeyFiles Create()
        {
            var directory = Directory.CreateTempSubdirectory("refunds-functions-tests-keys-").FullName;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(directory, recursive: true);

            using var merchant = RSA.Create(2048);
            using var unused = RSA.Create(2048);
            var merchantPath = Path.Combine(directory, "merchant_private.pem");
            var unusedPath = Path.Combine(directory, "pingpp_public_unused.pem");
            File.WriteAllText(merchantPath, merchant.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(unusedPath, unused.ExportSubjectPublicKeyInfoPem());
            return new KeyFiles(merchantPath, merchant.ExportSubjectPublicKeyInfoPem(), unusedPath);
        }
    }
}
