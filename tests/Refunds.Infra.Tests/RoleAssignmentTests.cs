using System.Text.RegularExpressions;

namespace Refunds.Infra.Tests;

public sealed partial class RoleAssignmentTests
{
    private const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";
    private const string KeyVaultCryptoUser = "12338af0-0e69-4776-bea7-57ae8d297424";
    private const string KeyVaultSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6";

    private const string StorageScope = "resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))";
    private const string ContainerScope =
        "resourceId('Microsoft.Storage/storageAccounts/blobServices/containers', parameters('storageAccountName'), 'default', parameters('blobContainerNames')[copyIndex()])";
    private const string KeyScope = "resourceId('Microsoft.KeyVault/vaults/keys', parameters('keyVaultName'), parameters('signingKeyName'))";
    private const string SecretScope = "resourceId('Microsoft.KeyVault/vaults/secrets', parameters('keyVaultName'), parameters('apiKeySecretName'))";
    private const string InsightsScope = "resourceId('Microsoft.Insights/components', parameters('applicationInsightsName'))";

    private static readonly CompiledTemplate Template = CompiledTemplate.ForMain;

    [Fact]
    public void App_identity_gets_exactly_its_roles_each_at_the_narrowest_scope()
    {
        var granted = Assignments()
            .Where(a => a.Principal == "parameters('appPrincipalId')")
            .Select(a => (a.Scope, a.Role))
            .Order()
            .ToList();

        (string, string)[] expected =
        [
            (ContainerScope, StorageBlobDataOwner),
            (ContainerScope, StorageBlobDataOwner),
            (ContainerScope, StorageBlobDataOwner),
            (StorageScope, StorageQueueDataContributor),
            (StorageScope, StorageTableDataContributor),
            (KeyScope, KeyVaultCryptoUser),
            (SecretScope, KeyVaultSecretsUser),
            (InsightsScope, MonitoringMetricsPublisher),
        ];
        Assert.Equal(expected.Order().ToList(), granted);
    }

    [Fact]
    public void App_blob_role_covers_exactly_the_deployment_and_host_containers_and_never_the_whole_account()
    {
        var blobAssignments = Assignments()
            .Where(a => a.Principal == "parameters('appPrincipalId')" && a.Role == StorageBlobDataOwner)
            .ToList();
        var containers = Template.ModuleParameter(Template.RootScope, "rbac", "blobContainerNames")!.AsArray()
            .Select(c => c!.GetValue<string>())
            .ToList();

        Assert.All(blobAssignments, a => Assert.Equal(ContainerScope, a.Scope));
        Assert.Equal(containers.Count, blobAssignments.Count);
        Assert.Equal(["app-package", "azure-webjobs-hosts", "azure-webjobs-secrets"], containers.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_container_the_blob_role_names_is_created_by_the_storage_module()
    {
        var storage = Template.Module("storage");
        var created = storage.Parameter("hostContainerNames")!.AsArray().Select(c => c!.GetValue<string>())
            .Append(storage.Parameter("deploymentContainerName")!.GetValue<string>());
        var granted = Template.ModuleParameter(Template.RootScope, "rbac", "blobContainerNames")!.AsArray()
            .Select(c => c!.GetValue<string>());
        var containerResources = Template.OfType("Microsoft.Storage/storageAccounts/blobServices/containers");

        Assert.Equal(created.Order(StringComparer.Ordinal), granted.Order(StringComparer.Ordinal));
        Assert.Equal(2, containerResources.Count);
        Assert.Contains(containerResources, c => c.Name.Contains("parameters('hostContainerNames')[copyIndex()]", StringComparison.Ordinal)
            && c.Json["copy"]!["count"]!.GetValue<string>() == "[length(parameters('hostContainerNames'))]");
        Assert.Contains(containerResources, c => c.Name.Contains("parameters('deploymentContainerName')", StringComparison.Ordinal));
    }

    [Fact]
    public void App_assignments_name_scope_principal_and_role_and_target_a_service_principal()
    {
        foreach (var assignment in Assignments().Where(a => a.Principal == "parameters('appPrincipalId')"))
        {
            Assert.Equal("ServicePrincipal", assignment.PrincipalType);
            Assert.StartsWith($"[guid({assignment.Scope}, {assignment.Principal}, ", assignment.Name, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Roles_go_to_the_function_apps_user_assigned_identity()
    {
        var passed = Template.ModuleParameterRaw("rbac", "appPrincipalId");

        Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", passed, StringComparison.Ordinal);
        Assert.Contains("principalId", passed, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", false, false)]
    [InlineData("sk_live_written_by_this_deployment", false, true)]
    [InlineData("", true, true)]
    public void Secret_role_is_granted_only_when_the_secret_exists(string apiKey, bool operatorSetSecret, bool granted)
    {
        var secretRole = Assignments().Single(a => a.Role == KeyVaultSecretsUser);
        var root = Template.RootWith(("pingppApiKey", apiKey), ("pingppApiKeySecretExists", operatorSetSecret));

        Assert.Equal("[parameters('apiKeySecretExists')]", secretRole.Condition);
        Assert.Equal(granted, Template.ModuleParameter(root, "rbac", "apiKeySecretExists")!.GetValue<bool>());
    }

    [Fact]
    public void Operator_roles_are_off_unless_asked_for()
    {
        var operatorAssignments = Assignments().Where(a => a.Principal == "parameters('operatorPrincipalId')").ToList();

        Assert.NotEmpty(operatorAssignments);
        Assert.All(operatorAssignments, a => Assert.Equal("[variables('operatorEnabled')]", a.Condition));
        Assert.False(Template.RootScope.Parameter("grantOperatorAccess")!.GetValue<bool>());
    }

    private static List<Assignment> Assignments()
    {
        var result = new List<Assignment>();
        foreach (var resource in Template.OfType("Microsoft.Authorization/roleAssignments"))
        {
            var properties = resource.Properties!;
            var roleExpression = RoleDefinitionArgument().Match(properties["roleDefinitionId"]!.GetValue<string>());
            Assert.True(roleExpression.Success, $"Unexpected roleDefinitionId in {resource.Name}");
            var count = resource.Json["copy"] is { } copy
                ? resource.Scope.Evaluate(copy["count"])!.GetValue<int>()
                : 1;
            for (var i = 0; i < count; i++)
            {
                var role = resource.Scope.Evaluate($"[{roleExpression.Groups[1].Value}]", resource.Json["copy"] is null ? null : i)!
                    .GetValue<string>();
                result.Add(new Assignment(
                    Scope: Unwrap(resource.Json["scope"]!.GetValue<string>()),
                    Principal: Unwrap(properties["principalId"]!.GetValue<string>()),
                    PrincipalType: properties["principalType"]!.GetValue<string>(),
                    Role: role,
                    Name: resource.Name,
                    Condition: resource.Json["condition"]?.GetValue<string>()));
            }
        }

        return result;
    }

    private static string Unwrap(string expression) => expression.StartsWith('[') ? expression[1..^1] : expression;

    [GeneratedRegex(@"^\[subscriptionResourceId\('Microsoft\.Authorization/roleDefinitions', (.+)\)\]$")]
    private static partial Regex RoleDefinitionArgument();

    private sealed record Assignment(string Scope, string Principal, string PrincipalType, string Role, string Name, string? Condition);
}
