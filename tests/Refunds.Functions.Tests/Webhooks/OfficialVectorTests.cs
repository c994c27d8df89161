using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Refunds.Core.Signing;

namespace Refunds.Functions.Tests.Webhooks;

/// <summary>The three official Ping++ webhooks, each with its own Ping++ public key configured, through the function.</summary>
public sealed class OfficialVectorTests
{
    public static TheoryData<int, string> Vectors() => new()
    {
        { 1, "webhook1_pingpp_public_key.pem" },
        { 1, "webhook1_pingpp_public_key_csharp_with_bom.pem" },
        { 2, "webhook2_pingpp_public_key.pem" },
        { 3, "webhook3_pingpp_public_key.pem" },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public async Task Official_webhook_is_accepted_and_stored_byte_for_byte_with_a_signature_that_still_verifies(int vector, string keyFile)
    {
        var body = VectorFiles.Bytes($"webhook{vector}_body.json");
        var signature = VectorFiles.Text($"webhook{vector}_signature.b64").Trim();
        var eventId = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        // The key as a merchant configures it: the BOM variant as a file path, the others as PEM text.
        var keySetting = keyFile.Contains("bom", StringComparison.Ordinal) ? VectorFiles.PathOf(keyFile) : VectorFiles.Text(keyFile);
        await using var host = await WebhookHost.StartAsync([keySetting]);

        var delivery = await host.PostAsync(body, signature);

        Assert.Equal(200, delivery.Status);
        var stored = await host.Store.GetAsync(eventId, CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal(body, stored.Body.ToArray());
        Assert.Equal(signature, stored.SignatureHeader);
        using var key = PemKey.LoadRsa(VectorFiles.Text($"webhook{vector}_pingpp_public_key.pem"), "test", requirePrivate: false);
        Assert.True(key.VerifyData(stored.Body.Span, Convert.FromBase64String(stored.SignatureHeader!), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Official_webhook_with_one_byte_changed_or_a_newline_appended_gets_401_and_nothing_is_stored(int vector)
    {
        var body = VectorFiles.Bytes($"webhook{vector}_body.json");
        var signature = VectorFiles.Text($"webhook{vector}_signature.b64").Trim();
        var eventId = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        await using var host = await WebhookHost.StartAsync([VectorFiles.Text($"webhook{vector}_pingpp_public_key.pem")]);

        // A byte inside the JSON that keeps it a valid event: the last digit of "created".
        var changed = (byte[])body.Clone();
        var created = Encoding.ASCII.GetBytes("\"created\":");
        var digit = body.AsSpan().IndexOf(created) + created.Length;
        while (changed[digit] is < (byte)'0' or > (byte)'9') digit++;
        changed[digit] = (byte)(changed[digit] == '9' ? '8' : changed[digit] + 1);
        byte[] newline = [.. body, (byte)'\n'];

        var changedDelivery = await host.PostAsync(changed, signature);
        var newlineDelivery = await host.PostAsync(newline, signature);

        Assert.Equal(401, changedDelivery.Status);
        Assert.Equal(401, newlineDelivery.Status);
        Assert.Null(await host.Store.GetAsync(eventId, CancellationToken.None));
        Assert.Equal(0, await host.CountEventRowsAsync());
        // The unchanged delivery still passes: the 401s were about the bytes, not the key.
        Assert.Equal(200, (await host.PostAsync(body, signature)).Status);
    }

    [Fact]
    public async Task Vector_2_chinese_utf8_round_trips_exactly()
    {
        var body = VectorFiles.Bytes("webhook2_body.json");
        var chinese = Encoding.UTF8.GetBytes("xx公司");
        Assert.True(body.AsSpan().IndexOf(chinese) >= 0, "vector 2 carries raw UTF-8 Chinese");
        await using var host = await WebhookHost.StartAsync([VectorFiles.Text("webhook2_pingpp_public_key.pem")]);

        Assert.Equal(200, (await host.PostAsync(body, VectorFiles.Text("webhook2_signature.b64").Trim())).Status);

        var eventId = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        var stored = await host.Store.GetAsync(eventId, CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal(body, stored.Body.ToArray());
        Assert.Contains("xx公司", Encoding.UTF8.GetString(stored.Body.Span));
    }

    [Fact]
    public async Task A_vector_signed_for_another_account_gets_401_with_only_its_own_key_configured()
    {
        await using var host = await WebhookHost.StartAsync([VectorFiles.Text("webhook2_pingpp_public_key.pem")]);

        var delivery = await host.PostAsync(VectorFiles.Bytes("webhook1_body.json"), VectorFiles.Text("webhook1_signature.b64").Trim());

        Assert.Equal(401, delivery.Status);
        Assert.Equal(0, await host.CountEventRowsAsync());
    }
}
