// Least-privilege data-plane roles. The function app's identity signs with exactly one key, reads exactly one secret,
// uses its blob containers, the account's queues and tables, and Application Insights; nothing else.

@description('Principal (object) id of the function app\'s user-assigned identity.')
param appPrincipalId string

param storageAccountName string

@description('The only blob containers the app\'s identity may use: the deployment container and the Functions host\'s containers (infra/README.md, section 7).')
param blobContainerNames string[]
param keyVaultName string
param signingKeyName string
param apiKeySecretName string

@description('True when the API-key secret exists (created by this deployment or set by the operator): a role assignment scoped to a secret needs the secret.')
param apiKeySecretExists bool

param applicationInsightsName string

@description('Object id of a person or pipeline that gets data-plane access for operations (see docs/deploy.md). Empty: none.')
param operatorPrincipalId string

@allowed(['User', 'ServicePrincipal', 'Group'])
param operatorPrincipalType string

@description('Grant the operator principal data-plane roles.')
param grantOperatorAccess bool

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  keyVaultCryptoUser: '12338af0-0e69-4776-bea7-57ae8d297424'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultCryptoOfficer: '14b46e9e-c2b7-41b4-b07b-48a6ebf60603'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
}

// The app's blob role is per container (below); queues and tables at the account (the app and the host create them).
var appAccountStorageRoles = [roles.storageQueueDataContributor, roles.storageTableDataContributor]
var operatorStorageRoleIds = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]

var operatorEnabled = grantOperatorAccess && !empty(operatorPrincipalId)

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource blobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [
  for containerName in blobContainerNames: {
    parent: blobService
    name: containerName
  }
]

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource signingKey 'Microsoft.KeyVault/vaults/keys@2024-11-01' existing = {
  parent: vault
  name: signingKeyName
}

resource apiKeySecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' existing = {
  parent: vault
  name: apiKeySecretName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource appBlobContainerRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (containerName, i) in blobContainerNames: {
    name: guid(blobContainers[i].id, appPrincipalId, roles.storageBlobDataOwner)
    scope: blobContainers[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource appStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in appAccountStorageRoles: {
    name: guid(storage.id, appPrincipalId, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource appSigningKeyRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(signingKey.id, appPrincipalId, roles.keyVaultCryptoUser)
  scope: signingKey
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultCryptoUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appApiKeySecretRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (apiKeySecretExists) {
  name: guid(apiKeySecret.id, appPrincipalId, roles.keyVaultSecretsUser)
  scope: apiKeySecret
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appMetricsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, appPrincipalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles.monitoringMetricsPublisher
    )
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Operator: inspect queues/tables, set the API-key secret, create new signing-key versions and download public halves.
resource operatorStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in operatorStorageRoleIds: if (operatorEnabled) {
    name: guid(storage.id, operatorPrincipalId, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: operatorPrincipalId
      principalType: operatorPrincipalType
    }
  }
]

resource operatorSigningKeyRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (operatorEnabled) {
  name: guid(signingKey.id, operatorPrincipalId, roles.keyVaultCryptoOfficer)
  scope: signingKey
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultCryptoOfficer)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}

// Vault scope: the secret may not exist yet when the operator needs to create it.
resource operatorSecretsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (operatorEnabled) {
  name: guid(vault.id, operatorPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}
