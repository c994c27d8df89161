// Log Analytics workspace (telemetry and the audit trail) and workspace-based Application Insights. Local (instrumentation key) auth is off:
// the app sends telemetry with its managed identity (Monitoring Metrics Publisher).

param logAnalyticsName string

@minValue(30)
@maxValue(730)
@description('Days the workspace keeps its data: telemetry and the audit trail (app/diagnostics.bicep).')
param retentionInDays int
param applicationInsightsName string
param location string
param tags object

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionInDays
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

output logAnalyticsId string = logAnalytics.id
output applicationInsightsId string = applicationInsights.id
output applicationInsightsName string = applicationInsights.name
output connectionString string = applicationInsights.properties.ConnectionString
