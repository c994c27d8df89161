using System.Diagnostics.Metrics;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Azure.Functions.Worker;
using Refunds.Core.Configuration;

namespace Refunds.Infra.Tests;

/// <summary>
/// The alerts (infra/app/alerts.bicep) as compiled: every rule scoped to the app's Application Insights component,
/// notifying the action group, with thresholds from parameters, and querying only metric and function names the app's
/// code really emits (read from the code itself: renaming a counter or a function fails here).
/// </summary>
public sealed partial class AlertTemplateTests
{
    private static readonly CompiledTemplate Template = CompiledTemplate.ForMain;

    private static readonly string[] ExpectedRules =
    [
        "refund-dead-lettered", "refund-failure-rate", "refund-poison-queue", "webhook-verification-burst",
        "discrepancy-or-abnormal-payment", "reconciliation-not-run",
    ];

    private static TemplateScope Alerts => Template.Module("alerts");

    private static TemplateResource Rules => Template.Single("Microsoft.Insights/scheduledQueryRules");

    private static IReadOnlyList<JsonObject> RuleDefinitions(TemplateScope alerts) =>
        [.. alerts.Variable("rules")!.AsArray().Select(r => r!.AsObject())];

    [Fact]
    public void The_template_compiles_the_alerts_without_a_warning()
    {
        Template.Build.AssertClean("infra/main.bicep with app/alerts.bicep");
        Assert.Equal(ExpectedRules, RuleDefinitions(Alerts).Select(r => r["name"]!.GetValue<string>()));
        Assert.Equal("[length(variables('rules'))]", Rules.Raw("copy", "count"));
    }

    [Fact]
    public void Every_rule_watches_the_apps_application_insights_and_notifies_the_action_group()
    {
        Assert.Equal("[parameters('applicationInsightsId')]", Rules.Properties!["scopes"]![0]!.GetValue<string>());
        Assert.Single(Rules.Properties!["scopes"]!.AsArray());
        var given = Template.ModuleParameterRaw("alerts", "applicationInsightsId");
        Assert.Contains("'monitoring'", given, StringComparison.Ordinal);
        Assert.Contains("applicationInsightsId", given, StringComparison.Ordinal);
        Assert.Equal("[resourceId('Microsoft.Insights/actionGroups', parameters('actionGroupName'))]", Rules.Properties["actions"]!["actionGroups"]![0]!.GetValue<string>());
        Assert.Equal("LogAlert", Rules.Raw("kind"));
        foreach (var rule in RuleDefinitions(Alerts))
        {
            var name = rule["name"]!.GetValue<string>();
            Assert.Matches("^PT[0-9]+[MH]$", rule["window"]!.GetValue<string>());
            Assert.InRange(rule["severity"]!.GetValue<int>(), 0, 4);
            Assert.Contains(rule["operator"]!.GetValue<string>(), new[] { "GreaterThan", "LessThan" });
            Assert.False(string.IsNullOrWhiteSpace(rule["description"]!.GetValue<string>()), name);
            // The measured column is what the query's last step produces.
            Assert.Matches($@"\b(summarize|project)\b.*\b{rule["measure"]!.GetValue<string>()}\b", rule["query"]!.GetValue<string>());
        }
    }

    [Fact]
    public void Alert_queries_name_only_counters_the_app_emits_and_functions_it_has()
    {
        var counters = EmittedCounterNames();
        var functions = typeof(Refunds.Functions.Hosting.FunctionAppServices).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .Select(m => m.GetCustomAttribute<FunctionAttribute>()?.Name)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        Assert.Contains("refunds.dead_lettered", counters);

        var named = new List<(string Table, string Name)>();
        foreach (var rule in RuleDefinitions(Alerts))
        {
            var query = rule["query"]!.GetValue<string>();
            var table = query.Split('|')[0].Trim();
            var names = NamesIn(query);
            Assert.True(names.Count > 0, $"{rule["name"]}: the query names no metric or function: {query}");
            Assert.Contains(table, new[] { "customMetrics", "requests" });
            foreach (var name in names)
            {
                named.Add((table, name));
                Assert.True(
                    table == "customMetrics" ? counters.Contains(name) : functions.Contains(name),
                    $"{rule["name"]}: {table} name \"{name}\" is not emitted by the app (known: {string.Join(", ", table == "customMetrics" ? counters : functions)})");
            }
        }

        // Each subject the issue asks for is watched.
        Assert.Contains(("customMetrics", "refunds.dead_lettered"), named);
        Assert.Contains(("customMetrics", "refunds.failed"), named);
        Assert.Contains(("requests", "RefundRequestPoison"), named);
        Assert.Contains(("customMetrics", "refunds.webhooks.rejected"), named);
        Assert.Contains(("customMetrics", "refunds.reconcile.discrepancies"), named);
        Assert.Contains(("customMetrics", "refunds.anomalies.detected"), named);
        Assert.Contains(("customMetrics", "refunds.reconcile.runs"), named);
    }

    [Fact]
    public void Thresholds_and_the_reconcile_window_come_from_the_main_parameters()
    {
        var defaults = RuleDefinitions(Template.Module("alerts")).ToDictionary(r => r["name"]!.GetValue<string>());
        Assert.Equal(10, defaults["refund-failure-rate"]["threshold"]!.GetValue<int>());
        Assert.Equal(10, defaults["webhook-verification-burst"]["threshold"]!.GetValue<int>());
        Assert.Equal("PT30M", defaults["reconciliation-not-run"]["window"]!.GetValue<string>());
        Assert.Equal(0, defaults["refund-dead-lettered"]["threshold"]!.GetValue<int>());

        var root = Template.RootWith(("alertFailureRatePercent", 37), ("alertWebhookRejectionsPer15Minutes", 55), ("alertReconcileMissingMinutes", 45));
        Assert.Equal(37, Template.ModuleParameter(root, "alerts", "failureRatePercent")!.GetValue<int>());
        Assert.Equal(55, Template.ModuleParameter(root, "alerts", "webhookRejectionsPer15Minutes")!.GetValue<int>());
        Assert.Equal(45, Template.ModuleParameter(root, "alerts", "reconcileMissingMinutes")!.GetValue<int>());
        foreach (var (parameter, variableUse) in new[] { ("failureRatePercent", "refund-failure-rate"), ("webhookRejectionsPer15Minutes", "webhook-verification-burst") })
        {
            var raw = Alerts.Template["variables"]!["rules"]!.AsArray().Single(r => r!["name"]!.GetValue<string>() == variableUse)!["threshold"]!.GetValue<string>();
            Assert.Equal($"[parameters('{parameter}')]", raw);
        }
    }

    [Fact]
    public void The_action_group_mails_the_receivers_given_and_may_have_none()
    {
        var group = Template.Single("Microsoft.Insights/actionGroups");
        var receivers = group.Properties!["copy"]![0]!;
        Assert.Equal("emailReceivers", receivers["name"]!.GetValue<string>());
        Assert.Equal("[length(parameters('emailReceivers'))]", receivers["count"]!.GetValue<string>());
        Assert.Equal("[parameters('emailReceivers')[copyIndex('emailReceivers')]]", receivers["input"]!["emailAddress"]!.GetValue<string>());
        Assert.Empty(Template.ModuleParameter(Template.RootScope, "alerts", "emailReceivers")!.AsArray());
        Assert.Equal("[parameters('alertEmailReceivers')]", Template.ModuleParameterRaw("alerts", "emailReceivers"));
        Assert.InRange(group.Raw("properties", "groupShortName").Length, 1, 12);
    }

    /// <summary>The metric and function names a query filters on: <c>name == "x"</c>, <c>name in ("a", "b")</c>, <c>name != "x"</c>.</summary>
    private static IReadOnlyList<string> NamesIn(string query) =>
        [.. NameFilter().Matches(query).SelectMany(m => QuotedName().Matches(m.Value).Select(q => q.Groups[1].Value)).Distinct()];

    /// <summary>Every counter the app's code creates on the Refunds meter: each *Metrics class of Refunds.Core constructed once.</summary>
    private static HashSet<string> EmittedCounterNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == RefundsMeter.Name)
                {
                    lock (names)
                    {
                        names.Add(instrument.Name);
                    }
                }
            },
        };
        listener.Start();
        var metricsTypes = typeof(RefundsMeter).Assembly.GetTypes().Where(t => t.Name.EndsWith("Metrics", StringComparison.Ordinal) && t is { IsClass: true, IsAbstract: false }).ToList();
        Assert.True(metricsTypes.Count >= 5, string.Join(", ", metricsTypes));
        foreach (var type in metricsTypes)
        {
            var constructor = type.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
                .Single(c => c.GetParameters() is [{ ParameterType: var p }] && p == typeof(IMeterFactory));
            constructor.Invoke([null]);
        }

        return names;
    }

    [GeneratedRegex(@"name\s*(==|!=|in\s*\()\s*""[^|]*")]
    private static partial Regex NameFilter();

    [GeneratedRegex(@"""([^""]+)""")]
    private static partial Regex QuotedName();
}
