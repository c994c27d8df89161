using Refunds.Functions.Hosting;

namespace Refunds.Functions.Tests.Hosting;

/// <summary>The trace exporter authenticates like the Application Insights SDK, from <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c>.</summary>
public sealed class TelemetrySettingsTests
{
    [Theory]
    [InlineData("ClientId=2b5e9c1a-0000-4000-8000-000000000001;Authorization=AAD", "2b5e9c1a-0000-4000-8000-000000000001")]
    [InlineData(" Authorization = aad ; ClientId = 2b5e9c1a-0000-4000-8000-000000000001 ", "2b5e9c1a-0000-4000-8000-000000000001")]
    [InlineData("Authorization=AAD", "")]
    [InlineData("ClientId=2b5e9c1a-0000-4000-8000-000000000001", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void The_authentication_string_asks_for_Entra_with_the_identity_it_names(string? setting, string? clientId)
        => Assert.Equal(clientId, RefundsTelemetry.EntraClientId(setting));
}
