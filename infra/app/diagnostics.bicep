// Audit trail: diagnostic settings that send every Key Vault operation (each `sign` call included), every read, write
// and delete on the storage tables and queues, and the function app's own logs to the one Log Analytics workspace.
// How long they stay is the workspace's retention (main.bicep logRetentionInDays). infra/README.md, section 8.

@description('Resource id of the Log Analytics workspace that app/monitoring.bicep creates.')
param workspaceId string

param keyVaultName string
param storageAccountName string
param functionAppName string

var settingName = 'audit-to-log-analytics'
var storageCategories = ['StorageRead', 'StorageWrite', 'StorageDelete']

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource site 'Microsoft.Web/sites@2024-11-01' existing = {
  name: functionAppName
}

resource vaultAudit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: vault
  properties: {
    workspaceId: workspaceId
    // Resource-specific table AZKVAuditLogs instead of the shared AzureDiagnostics table.
    logAnalyticsDestinationType: 'Dedicated'
    logs: [{ category: 'AuditEvent', enabled: true }]
  }
}

resource tableAudit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: tableService
  properties: {
    workspaceId: workspaceId
    logs: [for category in storageCategories: { category: category, enabled: true }]
  }
}

resource queueAudit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: queueService
  properties: {
    workspaceId: workspaceId
    logs: [for category in storageCategories: { category: category, enabled: true }]
  }
}

resource appLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: site
  properties: {
    workspaceId: workspaceId
    logs: [{ category: 'FunctionAppLogs', enabled: true }]
  }
}
