// The Flex Consumption plan and the Linux function app with every application setting the app reads
// (Refunds.Core.Configuration.SettingNames; a test holds this list equal to that class).
// No site property or app setting that Flex Consumption rejects or deprecates (ftpsState, use32BitWorkerProcess,
// netFrameworkVersion, linuxFxVersion, FUNCTIONS_WORKER_RUNTIME, ...): infra/README.md lists them with the sources, and
// an infra test fails when the compiled template carries one.

param name string
param planName string
param location string
param tags object

@description('Resource id of the user-assigned identity the app uses for storage, Key Vault and telemetry.')
param identityId string

@description('Client id of that identity.')
param identityClientId string

param blobEndpoint string
param queueEndpoint string
param tableEndpoint string

@description('URL of the blob container that holds the deployment package.')
param deploymentContainerUrl string

param applicationInsightsConnectionString string

@minValue(40)
@maxValue(1000)
@description('On-demand instances per function scale group (Flex per-function scaling), not for the app as a whole.')
param maximumInstanceCount int

@allowed([512, 2048, 4096])
param instanceMemoryMB int

@description('Subnet (delegated to Microsoft.App/environments) for outbound VNet integration. Empty: none.')
param appSubnetId string

@description('Versionless URI of the Key Vault secret holding the Ping++ secret API key.')
param pingppApiKeySecretUri string

@description('Versioned Key Vault key id the app signs Ping++ requests with.')
param pingppSigningKeyId string

param pingppApiBase string
param pingppRequestTimeout string
param pingppMaxReadRetries int
param pingppWebhookPublicKey string
param pingppAppId string
param refundRequestsQueue string
param refundsCreateGracePeriod string
param reconcileSchedule string
param reconciliationMaxOrdersPerRun int
param reconciliationMaxRunDuration string
param reconciliationMaxConcurrency int
param reconciliationMaxPlacementsPerRun int
param reconciliationSweepEnabled string
param reconciliationSweepWindow string
param reconciliationSweepPagesPerRun int
param reconciliationSweepInterval string
param reconciliationWatchWindow string
param reconciliationRecheckSchedule string
param reconciliationRechecksPerRun int
param anomaliesMode string
param approvalMaxAmountPerRequest int
param approvalMaxAmountPerDay int

@description('Entra ID tenant and audience for the /api/entra/… routes; both empty: off (infra/README.md).')
param entraTenantId string
param entraAudience string
param entraSubmitRole string
param entraOperateRole string

@allowed(['true', 'false'])
@description('App Service Authentication (operators sign in to the console) is configured by app/auth.bicep: the app trusts its principal header.')
param consoleSignIn string

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    keyVaultReferenceIdentity: identityId
    virtualNetworkSubnetId: empty(appSubnetId) ? null : appSubnetId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      appSettings: [
        // Host storage through the identity: no account key, no connection string.
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        { name: 'AzureWebJobsStorage__blobServiceUri', value: blobEndpoint }
        { name: 'AzureWebJobsStorage__queueServiceUri', value: queueEndpoint }
        { name: 'AzureWebJobsStorage__tableServiceUri', value: tableEndpoint }
        // The app (Key Vault sign) authenticates as the user-assigned identity named here (ManagedIdentityCredential).
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: applicationInsightsConnectionString }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'ClientId=${identityClientId};Authorization=AAD'
        }
        { name: 'Pingpp__ApiBase', value: pingppApiBase }
        { name: 'Pingpp__ApiKey', value: '@Microsoft.KeyVault(SecretUri=${pingppApiKeySecretUri})' }
        { name: 'Pingpp__SigningKeyId', value: pingppSigningKeyId }
        { name: 'Pingpp__RequestTimeout', value: pingppRequestTimeout }
        { name: 'Pingpp__MaxReadRetries', value: string(pingppMaxReadRetries) }
        { name: 'Pingpp__WebhookPublicKeys__0', value: pingppWebhookPublicKey }
        // Production never accepts unsigned events; the switch exists for the simulator only.
        { name: 'Pingpp__AllowUnsignedTestEvents', value: 'false' }
        { name: 'Pingpp__AppId', value: pingppAppId }
        { name: 'RefundRequestsQueue', value: refundRequestsQueue }
        { name: 'Refunds__CreateGracePeriod', value: refundsCreateGracePeriod }
        { name: 'ReconcileSchedule', value: reconcileSchedule }
        { name: 'Reconciliation__MaxOrdersPerRun', value: string(reconciliationMaxOrdersPerRun) }
        { name: 'Reconciliation__MaxRunDuration', value: reconciliationMaxRunDuration }
        { name: 'Reconciliation__MaxConcurrency', value: string(reconciliationMaxConcurrency) }
        { name: 'Reconciliation__MaxPlacementsPerRun', value: string(reconciliationMaxPlacementsPerRun) }
        { name: 'Reconciliation__SweepEnabled', value: reconciliationSweepEnabled }
        { name: 'Reconciliation__SweepWindow', value: reconciliationSweepWindow }
        { name: 'Reconciliation__SweepPagesPerRun', value: string(reconciliationSweepPagesPerRun) }
        { name: 'Reconciliation__SweepInterval', value: reconciliationSweepInterval }
        { name: 'Reconciliation__WatchWindow', value: reconciliationWatchWindow }
        { name: 'Reconciliation__RecheckSchedule', value: reconciliationRecheckSchedule }
        { name: 'Reconciliation__RechecksPerRun', value: string(reconciliationRechecksPerRun) }
        { name: 'Anomalies__Mode', value: anomaliesMode }
        { name: 'Operations__StuckAfter', value: '00:30:00' }
        { name: 'Approval__MaxAmountPerRequest', value: string(approvalMaxAmountPerRequest) }
        { name: 'Approval__MaxAmountPerDay', value: string(approvalMaxAmountPerDay) }
        // Entra ID for machine callers: the cloud's own login endpoint; tenant and audience empty = keys only.
        { name: 'Entra__Instance', value: environment().authentication.loginEndpoint }
        { name: 'Entra__TenantId', value: entraTenantId }
        { name: 'Entra__Audience', value: entraAudience }
        { name: 'Entra__SubmitRole', value: entraSubmitRole }
        { name: 'Entra__OperateRole', value: entraOperateRole }
        // The console's sign-in (app/auth.bicep): the principal header is trusted only with this and WEBSITE_AUTH_ENABLED.
        { name: 'Entra__AppServiceAuthentication', value: consoleSignIn }
        // App Service Authentication's client credential: the app's managed identity as a federated credential (no secret).
        { name: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID', value: identityClientId }
      ]
    }
  }
}

resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: site
  name: 'ftp'
  properties: { allow: false }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: site
  name: 'scm'
  properties: { allow: false }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
