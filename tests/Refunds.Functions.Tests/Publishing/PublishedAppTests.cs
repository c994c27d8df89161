using System.Diagnostics;

namespace Refunds.Functions.Tests.Publishing;

/// <summary>
/// THE list of functions the app must declare to the Functions host. Add a row when you add a function: the publish
/// test then checks functions.metadata against it, and the dev host test checks the dev host serves it.
/// Queue names and schedules are written as in the attribute (<c>%SETTING%</c> unresolved).
/// </summary>
public static class ExpectedFunctions
{
    public static readonly DeclaredFunction[] All =
    [
        Http("Health", "health", "get", "Anonymous"),
        Http("PingppWebhook", "pingpp/webhooks", "post", "Anonymous"),
        Timer("Reconcile", "%ReconcileSchedule%"),
        Queue("ProcessRefundRequest", "%RefundRequestsQueue%"),
        Queue("RefundRequestPoison", "%RefundRequestsQueue%-poison"),
        Http("SubmitRefund", "orders/{orderId}/refunds", "post", "Function"),
        Http("ListOrderRefunds", "orders/{orderId}/refunds", "get", "Function"),
        Http("GetOrderRefund", "orders/{orderId}/refunds/{id}", "get", "Function"),
        Http("ListOrderRefundsAtPingpp", "manage/pingpp/orders/{orderId}/refunds", "get", "Admin"),
        Http("GetOrderRefundAtPingpp", "manage/pingpp/orders/{orderId}/refunds/{id}", "get", "Admin"),
        Http("RequeueRefundRequest", "manage/refund-requests/{requestId}/requeue", "post", "Admin"),
        Http("RequeueDeadLetteredRefundRequests", "manage/refund-requests/requeue-dead-lettered", "post", "Admin"),
        Http("GetRefundRequest", "manage/refund-requests/{requestId}", "get", "Admin"),
        Http("ApproveRefundRequest", "manage/refund-requests/{requestId}/approve", "post", "Admin"),
        Http("DenyRefundRequest", "manage/refund-requests/{requestId}/deny", "post", "Admin"),
        Http("CancelRefundRequest", "manage/refund-requests/{requestId}/cancel", "post", "Admin"),
        // Entra ID twins: anonymous at the host (a bearer-only caller has no key), the token checked in the worker.
        Http("SubmitRefundEntra", "entra/orders/{orderId}/refunds", "post", "Anonymous"),
        Http("ListOrderRefundsEntra", "entra/orders/{orderId}/refunds", "get", "Anonymous"),
        Http("GetOrderRefundEntra", "entra/orders/{orderId}/refunds/{id}", "get", "Anonymous"),
        Http("RequeueRefundRequestEntra", "entra/manage/refund-requests/{requestId}/requeue", "post", "Anonymous"),
        Http("RequeueDeadLetteredRefundRequestsEntra", "entra/manage/refund-requests/requeue-dead-lettered", "post", "Anonymous"),
        // The webhook event log (issue 23.6) and its Entra ID twins.
        Http("ListWebhookEvents", "manage/webhook-events", "get", "Admin"),
        Http("GetWebhookEvent", "manage/webhook-events/{eventId}", "get", "Admin"),
        Http("ReapplyWebhookEvent", "manage/webhook-events/{eventId}/reapply", "post", "Admin"),
        Http("ListWebhookEventsEntra", "entra/manage/webhook-events", "get", "Anonymous"),
        Http("GetWebhookEventEntra", "entra/manage/webhook-events/{eventId}", "get", "Anonymous"),
        Http("ReapplyWebhookEventEntra", "entra/manage/webhook-events/{eventId}/reapply", "post", "Anonymous"),
        // The operator console: its static files (no data, anonymous) and who it acts as.
        new("Console", "httpTrigger", "console/{*path}", ["get", "head"], "Anonymous", null, null),
        Http("WhoAmI", "manage/whoami", "get", "Admin"),
        Http("WhoAmIEntra", "entra/manage/whoami", "get", "Anonymous"),
        // Issue 23 operator routes (problems, search, export, stats) and their Entra twins.
        Http("ListProblems", "manage/problems", "get", "Admin"),
        Http("ReviewProblem", "manage/problems/{kind}/{id}/review", "post", "Admin"),
        Http("SearchRefundRequests", "manage/refund-requests", "get", "Admin"),
        Http("ExportRefundRequests", "manage/export/refund-requests.csv", "get", "Admin"),
        Http("DailyStats", "manage/stats/daily", "get", "Admin"),
        Http("ListProblemsEntra", "entra/manage/problems", "get", "Anonymous"),
        Http("ReviewProblemEntra", "entra/manage/problems/{kind}/{id}/review", "post", "Anonymous"),
        Http("SearchRefundRequestsEntra", "entra/manage/refund-requests", "get", "Anonymous"),
        Http("ExportRefundRequestsEntra", "entra/manage/export/refund-requests.csv", "get", "Anonymous"),
        Http("DailyStatsEntra", "entra/manage/stats/daily", "get", "Anonymous"),
        Http("GetRefundRequestEntra", "entra/manage/refund-requests/{requestId}", "get", "Anonymous"),
        Http("ApproveRefundRequestEntra", "entra/manage/refund-requests/{requestId}/approve", "post", "Anonymous"),
        Http("DenyRefundRequestEntra", "entra/manage/refund-requests/{requestId}/deny", "post", "Anonymous"),
        Http("CancelRefundRequestEntra", "entra/manage/refund-requests/{requestId}/cancel", "post", "Anonymous"),
    ];

    public static DeclaredFunction Http(string name, string route, string method, string authLevel) =>
        new(name, "httpTrigger", route, [method], authLevel, null, null);

    public static DeclaredFunction Queue(string name, string queueName) =>
        new(name, "queueTrigger", null, [], null, queueName, null);

    public static DeclaredFunction Timer(string name, string schedule) =>
        new(name, "timerTrigger", null, [], null, null, schedule);
}

/// <summary>Publishes src/Refunds.Functions once for the class (about a minute).</summary>
public sealed class PublishedApp : IDisposable
{
    public PublishedApp()
    {
        Directory = Path.Combine(Path.GetTempPath(), "refunds-publish-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { "publish", RepositoryPaths.FunctionsProject, "-c", "Release", "-o", Directory, "--nologo" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryPaths.Root,
        };

        // dotnet test sets MSBuild variables for its own build; a child build must find its own SDK.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        Output = output.Result + error.Result;
        ExitCode = process.ExitCode;
    }

    public string Directory { get; }

    public int ExitCode { get; }

    public string Output { get; }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public sealed class PublishedAppTests(PublishedApp published) : IClassFixture<PublishedApp>
{
    [Fact]
    public void Publish_output_holds_what_the_Functions_host_needs_and_no_local_settings()
    {
        Assert.True(published.ExitCode == 0, published.Output);
        foreach (var file in new[] { "host.json", "functions.metadata", "extensions.json", "worker.config.json", "Refunds.Functions.dll" })
        {
            Assert.True(File.Exists(Path.Combine(published.Directory, file)), $"{file} missing from the publish output");
        }

        Assert.False(File.Exists(Path.Combine(published.Directory, "local.settings.json")), "local.settings.json must never be published");
    }

    [Fact]
    public void Published_host_json_is_the_repository_one_byte_for_byte()
    {
        Assert.True(published.ExitCode == 0, published.Output);
        Assert.Equal(File.ReadAllBytes(RepositoryPaths.HostJson), File.ReadAllBytes(Path.Combine(published.Directory, "host.json")));
    }

    [Fact]
    public void Published_metadata_declares_exactly_the_expected_functions()
    {
        Assert.True(published.ExitCode == 0, published.Output);
        var declared = FunctionsMetadataFile.Read(Path.Combine(published.Directory, "functions.metadata"));
        var expected = ExpectedFunctions.All.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();

        Assert.Equal(expected.Select(f => f.Name), declared.Select(f => f.Name));
        foreach (var (want, got) in expected.Zip(declared))
        {
            Assert.Equal(want.Trigger, got.Trigger);
            Assert.Equal(want.Route, got.Route);
            Assert.Equal(want.Methods.Select(m => m.ToLowerInvariant()), got.Methods.Select(m => m.ToLowerInvariant()));
            Assert.Equal(want.AuthLevel, got.AuthLevel);
            Assert.Equal(want.QueueName, got.QueueName);
            Assert.Equal(want.Schedule, got.Schedule);
        }
    }

    [Fact]
    public void No_published_route_uses_a_segment_the_Functions_host_reserves()
    {
        Assert.True(published.ExitCode == 0, published.Output);
        var routes = FunctionsMetadataFile.Read(Path.Combine(published.Directory, "functions.metadata"))
            .Where(f => f.Route is not null)
            .Select(f => f.Route!.Trim('/'))
            .ToList();

        Assert.NotEmpty(routes);
        Assert.All(routes, route => Assert.DoesNotContain(
            global::Refunds.DevHost.FunctionCatalog.ReservedRoutePrefixes,
            prefix => route.Equals(prefix, StringComparison.OrdinalIgnoreCase) || route.StartsWith(prefix + "/", StringComparison.OrdinalIgnoreCase)));
    }
}
