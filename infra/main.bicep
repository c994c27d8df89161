// Ping++ order refunds on Azure Functions (Flex Consumption), deployed into an existing resource group.
// Resource-group scope works with both `azd up` (AZURE_RESOURCE_GROUP) and `az deployment group create`.
// See docs/deploy.md for the deployment steps and what each parameter and setting means.
targetScope = 'resourceGroup'

@minLength(1)
@maxLength(64)
@description('Environment name (azd: AZURE_ENV_NAME). Seeds the resource names and the azd-env-name tag.')
param environmentName string

@description('Region for every resource. Defaults to the resource group\'s region.')
param location string = resourceGroup().location

@minValue(40)
@maxValue(1000)
@description('Flex Consumption maximum instance count, per function scale group (each queue or timer function, all HTTP functions together), not for the whole app. 40: the lowest value Microsoft documents as accepted everywhere (infra/README.md). Ping++ concurrency is bounded by host.json, not by this cap (docs/deploy.md).')
param maximumInstanceCount int = 40

@allowed(['default', 'recover'])
@description('default: create the vault. recover: bring back the soft-deleted vault of the same name (after azd down; purge protection keeps it 90 days), with its signing key, so Ping++ keeps the merchant public key it has. Set it for one provision, then back to default (docs/deploy.md).')
param keyVaultCreateMode string = 'default'

@allowed(['standard', 'premium'])
@description('Key Vault SKU. Forced to premium when signingKeyType is RSA-HSM.')
param keyVaultSku string = 'standard'

@allowed(['RSA', 'RSA-HSM'])
@description('RSA: software-protected key. RSA-HSM: HSM-protected key (needs a premium vault).')
param signingKeyType string = 'RSA'

@description('Name of the Key Vault key that signs Ping++ requests. Its public half is registered at Ping++.')
param signingKeyName string = 'pingpp-merchant-signing'

@description('Key version the app signs with. Empty: the key\'s current version. Pin it while rotating (docs/deploy.md).')
param signingKeyVersion string = ''

@secure()
@description('Ping++ secret API key (sk_live_...). Empty: the secret is not written; set it later with az keyvault secret set.')
param pingppApiKey string = ''

@description('True once the API-key secret exists in the vault (set by the operator): grants the app read access to it.')
param pingppApiKeySecretExists bool = false

@description('Ping++ API base URL.')
param pingppApiBase string = 'https://api.pingxx.com'

@description('Ping++ public key from the dashboard (企业面板 → 开发参数 → Ping++ 公钥) as one line of base64 of the PEM file (`base64 -w0 pingpp_public.pem`): azd pastes values into main.parameters.json as text, so a multi-line PEM breaks its JSON. The app decodes it. Required: the app does not start without it.')
@minLength(1)
param pingppWebhookPublicKey string

@description('Timeout of one Ping++ API call (TimeSpan, hh:mm:ss).')
param pingppRequestTimeout string = '00:00:30'

@minValue(0)
@maxValue(10)
@description('Retries of Ping++ read calls (GET). Creates are never retried blindly.')
param pingppMaxReadRetries int = 3

@description('How long a refund create with an unknown outcome waits before reconciliation may decide it (TimeSpan).')
param refundsCreateGracePeriod string = '00:02:00'

@description('NCRONTAB schedule (UTC) of the reconciliation timer.')
param reconcileSchedule string = '0 */5 * * * *'

@minValue(1)
@description('Orders one reconciliation run looks at.')
param reconciliationMaxOrdersPerRun int = 500

@description('Time budget of one reconciliation run (TimeSpan); keep it below the schedule interval.')
param reconciliationMaxRunDuration string = '00:04:00'

@minValue(1)
@maxValue(32)
@description('Parallel Ping++ reads during reconciliation.')
param reconciliationMaxConcurrency int = 4

@minValue(0)
@maxValue(1000)
@description('Charge lookups of refunds whose order is unknown per reconciliation run (0: none).')
param reconciliationMaxPlacementsPerRun int = 20

@allowed(['true', 'false'])
@description('Order-list sweep (docs/refund-protocol.md): finds abnormal payments and refunds made elsewhere on orders we never saw. Needs pingppAppId.')
param reconciliationSweepEnabled string = 'false'

@description('How far back an order-list sweep looks, by order creation time (TimeSpan).')
param reconciliationSweepWindow string = '7.00:00:00'

@minValue(1)
@maxValue(1000)
@description('Pages of 20 orders the sweep reads per reconciliation run.')
param reconciliationSweepPagesPerRun int = 5

@description('Least time from a completed order-list sweep to the start of the next (TimeSpan).')
param reconciliationSweepInterval string = '01:00:00'

@description('How long after its last open work ended an order is re-checked at Ping++ (TimeSpan; docs/refund-protocol.md).')
param reconciliationWatchWindow string = '30.00:00:00'

@description('Gaps between the re-checks of a finished order, gap[*count], the last one repeating until the window ends.')
param reconciliationRecheckSchedule string = '00:10:00,01:00:00*24,1.00:00:00'

@minValue(1)
@maxValue(10000)
@description('Due re-checks of finished orders per reconciliation run (one Ping++ list each).')
param reconciliationRechecksPerRun int = 200

@description('Optional Ping++ app id (app_…): events naming another app are stored as refused, never applied. Empty: not checked.')
param pingppAppId string = ''

@allowed(['Report', 'AutoRefund', 'Off'])
@description('What to do about abnormal payments (paid after cancellation, paid twice).')
param anomaliesMode string = 'Report'

@minValue(0)
@description('Largest refund (fen) sent without an operator\'s approval; above it the request waits in awaiting_approval. 0: every refund waits.')
param approvalMaxAmountPerRequest int = 100000

@minValue(0)
@description('Most refunded (fen) without approval per UTC day, summed over the requests let through; beyond it requests wait in awaiting_approval.')
param approvalMaxAmountPerDay int = 1000000

@description('Entra ID for machine callers (the /api/entra/… routes): the directory (tenant) id whose v2 access tokens are accepted. Empty (with entraAudience): off, keys only. Set both or neither; the app refuses to start half-configured.')
param entraTenantId string = ''

@description('Entra ID: the application (client) id of the API\'s app registration, the aud of its v2 access tokens. Empty (with entraTenantId): off.')
param entraAudience string = ''

@description('Entra ID app role that may submit refund requests (and read them).')
param entraSubmitRole string = 'Refunds.Submit'

@description('Entra ID app role that may take operator actions (requeue) and read.')
param entraOperateRole string = 'Refunds.Operate'

@allowed(['true', 'false'])
@description('Operators sign in to the console (/api/console) with Entra ID through App Service Authentication (app/auth.bicep). Needs entraTenantId and entraAudience (the app registration operators sign in to, with the Refunds.Operate role assigned to them).')
param consoleSignIn string = 'false'

@description('Email addresses the alerts (app/alerts.bicep) are sent to. Empty: the action group has no receiver.')
param alertEmailReceivers array = []

@minValue(1)
@maxValue(100)
@description('Alert when more than this percentage of the last hour\'s refunds failed at Ping++.')
param alertFailureRatePercent int = 10

@minValue(1)
@description('Alert when more webhook deliveries than this failed verification within 15 minutes.')
param alertWebhookRejectionsPer15Minutes int = 10

@minValue(10)
@maxValue(1440)
@description('Alert when no reconciliation run was recorded for this many minutes (above the reconcileSchedule interval).')
param alertReconcileMissingMinutes int = 30

@minValue(30)
@maxValue(730)
@description('Days the Log Analytics workspace keeps telemetry and the audit trail (Key Vault AuditEvent, storage table and queue logs, FunctionAppLogs). 30-730; past the included days retention is billed per GB (docs/deploy.md).')
param logRetentionInDays int = 90

@description('Private endpoints for storage and Key Vault, public network access to them disabled, app outbound through a VNet.')
param networkIsolation bool = false

@description('Object id of the operator (person or pipeline) for optional data-plane roles. azd: AZURE_PRINCIPAL_ID.')
param principalId string = deployer().objectId

@allowed(['User', 'ServicePrincipal', 'Group'])
param principalType string = 'User'

@description('Grant principalId data-plane roles: storage data, Key Vault Secrets Officer (vault), Crypto Officer (signing key).')
param grantOperatorAccess bool = false

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = 'func-refunds-${resourceToken}'
var apiKeySecretName = 'pingpp-api-key'
var refundRequestsQueue = 'refund-requests'
// Refunds.Core StorageNames.AllTables. The app also creates missing tables and queues (Azurite has no Bicep).
var tableNames = [
  'WebhookEvents'
  'RefundLedger'
  'ReconcileIndex'
  'Discrepancies'
  'Anomalies'
  'RequestIndex'
  'ProblemReviews'
]
var storageAccountName = 'st${resourceToken}'
var deploymentContainerName = 'app-package'
// The Functions host's containers with identity-based AzureWebJobsStorage: singleton locks and timer status, host keys.
var hostContainerNames = ['azure-webjobs-hosts', 'azure-webjobs-secrets']
var keyVaultName = 'kv-${resourceToken}'
var applicationInsightsName = 'appi-refunds-${resourceToken}'
var effectiveKeyVaultSku = signingKeyType == 'RSA-HSM' ? 'premium' : keyVaultSku

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-refunds-${resourceToken}'
  location: location
  tags: tags
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: 'log-refunds-${resourceToken}'
    applicationInsightsName: applicationInsightsName
    retentionInDays: logRetentionInDays
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  params: {
    name: storageAccountName
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    hostContainerNames: hostContainerNames
    queueNames: [refundRequestsQueue, '${refundRequestsQueue}-poison']
    tableNames: tableNames
    networkIsolation: networkIsolation
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: keyVaultName
    location: location
    tags: tags
    skuName: effectiveKeyVaultSku
    createMode: keyVaultCreateMode
    signingKeyName: signingKeyName
    signingKeyType: signingKeyType
    apiKeySecretName: apiKeySecretName
    apiKeyValue: pingppApiKey
    networkIsolation: networkIsolation
  }
}

module network 'app/network.bicep' = if (networkIsolation) {
  name: 'network'
  params: {
    vnetName: 'vnet-refunds-${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  dependsOn: [storage, keyVault, monitoring]
  params: {
    appPrincipalId: identity.properties.principalId
    // Names, not module outputs, so what-if can predict the assignments; dependsOn orders them after the targets.
    storageAccountName: storageAccountName
    blobContainerNames: concat([deploymentContainerName], hostContainerNames)
    keyVaultName: keyVaultName
    signingKeyName: signingKeyName
    apiKeySecretName: apiKeySecretName
    apiKeySecretExists: !empty(pingppApiKey) || pingppApiKeySecretExists
    applicationInsightsName: applicationInsightsName
    operatorPrincipalId: principalId
    operatorPrincipalType: principalType
    grantOperatorAccess: grantOperatorAccess
  }
}

var signingKeyId = empty(signingKeyVersion)
  ? keyVault.outputs.signingKeyUriWithVersion
  : '${keyVault.outputs.signingKeyUri}/${signingKeyVersion}'

module api 'app/api.bicep' = {
  name: 'api'
  // The app reads Key Vault and storage as soon as it starts: give it its roles first.
  dependsOn: [rbac]
  params: {
    name: functionAppName
    planName: 'plan-refunds-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.id
    identityClientId: identity.properties.clientId
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: 2048
    appSubnetId: networkIsolation ? network!.outputs.appSubnetId : ''
    pingppApiKeySecretUri: keyVault.outputs.apiKeySecretUri
    pingppSigningKeyId: signingKeyId
    pingppApiBase: pingppApiBase
    pingppRequestTimeout: pingppRequestTimeout
    pingppMaxReadRetries: pingppMaxReadRetries
    pingppWebhookPublicKey: pingppWebhookPublicKey
    pingppAppId: pingppAppId
    refundRequestsQueue: refundRequestsQueue
    refundsCreateGracePeriod: refundsCreateGracePeriod
    reconcileSchedule: reconcileSchedule
    reconciliationMaxOrdersPerRun: reconciliationMaxOrdersPerRun
    reconciliationMaxRunDuration: reconciliationMaxRunDuration
    reconciliationMaxConcurrency: reconciliationMaxConcurrency
    reconciliationMaxPlacementsPerRun: reconciliationMaxPlacementsPerRun
    reconciliationSweepEnabled: reconciliationSweepEnabled
    reconciliationSweepWindow: reconciliationSweepWindow
    reconciliationSweepPagesPerRun: reconciliationSweepPagesPerRun
    reconciliationSweepInterval: reconciliationSweepInterval
    reconciliationWatchWindow: reconciliationWatchWindow
    reconciliationRecheckSchedule: reconciliationRecheckSchedule
    reconciliationRechecksPerRun: reconciliationRechecksPerRun
    anomaliesMode: anomaliesMode
    approvalMaxAmountPerRequest: approvalMaxAmountPerRequest
    approvalMaxAmountPerDay: approvalMaxAmountPerDay
    entraTenantId: entraTenantId
    entraAudience: entraAudience
    entraSubmitRole: entraSubmitRole
    entraOperateRole: entraOperateRole
    consoleSignIn: consoleSignIn
  }
}

module auth 'app/auth.bicep' = {
  name: 'auth'
  params: {
    siteName: api.outputs.name
    enabled: consoleSignIn == 'true'
    tenantId: entraTenantId
    clientId: entraAudience
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  params: {
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    actionGroupName: 'ag-refunds-${resourceToken}'
    emailReceivers: alertEmailReceivers
    failureRatePercent: alertFailureRatePercent
    webhookRejectionsPer15Minutes: alertWebhookRejectionsPer15Minutes
    reconcileMissingMinutes: alertReconcileMissingMinutes
  }
}

module diagnostics 'app/diagnostics.bicep' = {
  name: 'diagnostics'
  // Names, not module outputs (as for rbac); dependsOn orders the settings after the resources they watch.
  dependsOn: [storage, keyVault, api]
  params: {
    workspaceId: monitoring.outputs.logAnalyticsId
    keyVaultName: keyVaultName
    storageAccountName: storageAccountName
    functionAppName: functionAppName
  }
}

output AZURE_LOCATION string = location
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output PINGPP_WEBHOOK_URL string = 'https://${api.outputs.defaultHostName}/api/pingpp/webhooks'
output PINGPP_SIGNING_KEY_ID string = signingKeyId
output PINGPP_API_KEY_SECRET_NAME string = apiKeySecretName
output EXPORT_SIGNING_PUBLIC_KEY_COMMAND string = 'az keyvault key download --vault-name ${keyVault.outputs.name} --name ${keyVault.outputs.signingKeyName} --version ${last(split(signingKeyId, '/'))} --encoding PEM --file pingpp-merchant-public.pem'
