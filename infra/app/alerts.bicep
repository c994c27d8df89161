// Alerts on the telemetry the app already emits: the Refunds meter's counters reach Application Insights as
// customMetrics (RefundsMeterExporter: name = the instrument's name, e.g. refunds.dead_lettered), and each function
// invocation as a row of requests (name = the function's name). Log search alerts over the Application Insights
// component, all sent to one action group. An infra test holds every metric and function name in these queries to
// the app's code (tests/Refunds.Infra.Tests/AlertTemplateTests.cs): renaming a counter breaks the test, not the alert.

param location string
param tags object

@description('Resource id of the Application Insights component the app sends its telemetry to.')
param applicationInsightsId string

param actionGroupName string

@description('Email addresses told of every alert. Empty: the action group exists with no receiver (add one later).')
param emailReceivers array

@minValue(1)
@maxValue(100)
@description('Alert when more than this percentage of the refund creates of the last hour failed at Ping++.')
param failureRatePercent int

@minValue(1)
@description('Alert when more webhook deliveries than this failed verification within 15 minutes.')
param webhookRejectionsPer15Minutes int

@minValue(10)
@maxValue(1440)
@description('Alert when no reconciliation run was recorded for this many minutes (keep it above the timer\'s interval).')
param reconcileMissingMinutes int

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'refunds'
    enabled: true
    emailReceivers: [
      for (email, i) in emailReceivers: {
        name: 'email-${i}'
        emailAddress: email
        useCommonAlertSchema: true
      }
    ]
  }
}

// name, severity (0 critical .. 4 verbose), window, query, how a row is measured, operator, threshold.
var rules = [
  {
    name: 'refund-dead-lettered'
    description: 'A refund request was dead-lettered: its message exhausted its attempts. It waits for an operator (problems list, requeue).'
    severity: 1
    window: 'PT15M'
    query: 'customMetrics | where name == "refunds.dead_lettered" | summarize total = sum(valueSum)'
    measure: 'total'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'refund-failure-rate'
    description: 'More than ${failureRatePercent}% of the last hour\'s refunds failed at Ping++ (refused on create, or settled failed).'
    severity: 2
    window: 'PT1H'
    query: 'customMetrics | where name in ("refunds.failed", "refunds.settled_failed", "refunds.created") | summarize failed = sumif(valueSum, name != "refunds.created"), created = sumif(valueSum, name == "refunds.created") | extend rate = iff(failed + created == 0, 0.0, 100.0 * failed / (failed + created)) | project rate'
    measure: 'rate'
    operator: 'GreaterThan'
    threshold: failureRatePercent
  }
  {
    name: 'refund-poison-queue'
    description: 'A refund message reached the poison queue (each one runs the RefundRequestPoison function, which records it as dead-lettered).'
    severity: 1
    window: 'PT15M'
    query: 'requests | where name == "RefundRequestPoison" | summarize total = count()'
    measure: 'total'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'webhook-verification-burst'
    description: 'More than ${webhookRejectionsPer15Minutes} webhook deliveries failed verification in 15 minutes: a wrong Ping++ public key, or someone probing the webhook.'
    severity: 2
    window: 'PT15M'
    query: 'customMetrics | where name == "refunds.webhooks.rejected" | summarize total = sum(valueSum)'
    measure: 'total'
    operator: 'GreaterThan'
    threshold: webhookRejectionsPer15Minutes
  }
  {
    name: 'discrepancy-or-abnormal-payment'
    description: 'Reconciliation found a discrepancy with Ping++, or an abnormal payment (paid after cancellation, paid twice) was found.'
    severity: 1
    window: 'PT15M'
    query: 'customMetrics | where name in ("refunds.reconcile.discrepancies", "refunds.anomalies.detected") | summarize total = sum(valueSum)'
    measure: 'total'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'reconciliation-not-run'
    description: 'No reconciliation run was recorded for ${reconcileMissingMinutes} minutes: the timer is not firing or every run fails before its end.'
    severity: 1
    window: 'PT${reconcileMissingMinutes}M'
    query: 'customMetrics | where name == "refunds.reconcile.runs" | summarize runs = count()'
    measure: 'runs'
    operator: 'LessThan'
    threshold: 1
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: '${actionGroupName}-${rule.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: 'Refunds: ${rule.name}'
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [applicationInsightsId]
      evaluationFrequency: 'PT5M'
      windowSize: rule.window
      autoMitigate: true
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Total'
            metricMeasureColumn: rule.measure
            operator: rule.operator
            threshold: rule.threshold
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroups: [actionGroup.id]
      }
    }
  }
]

output actionGroupId string = actionGroup.id
output ruleNames array = [for (rule, i) in rules: alertRules[i].name]
