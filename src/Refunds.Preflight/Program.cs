using Refunds.Preflight;

// Usage: refunds-preflight --bicep <path> --infra <dir> [--env-file <azd .env>]
// Values come from the env file (azd's .azure/<env>/.env) and then from the process environment, which wins.
string? Option(string name) => args.ToList().IndexOf(name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

var bicepPath = Option("--bicep") ?? Environment.GetEnvironmentVariable("BICEP_PATH");
var infra = Option("--infra") ?? "infra";
var envFile = Option("--env-file");
if (bicepPath is null || !File.Exists(bicepPath))
{
    Console.Error.WriteLine("refunds-preflight: give --bicep <path to the Bicep CLI> (scripts/preflight.sh does)");
    return 2;
}

var environment = envFile is not null && File.Exists(envFile) ? AzdParameters.ReadDotEnv(envFile) : new Dictionary<string, string>(StringComparer.Ordinal);
foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
{
    environment[(string)variable.Key] = (string?)variable.Value ?? string.Empty;
}

var inputs = DeploymentInputs.Load(new BicepCommand(bicepPath), Path.GetFullPath(infra), environment);
var findings = PreflightChecks.Run(inputs, environment);

Console.WriteLine($"Pre-flight for azd up: {Path.Combine(infra, "main.bicep")} with {(envFile is not null && File.Exists(envFile) ? envFile : "the shell environment")}");
foreach (var finding in findings)
{
    var mark = finding.Severity switch { Severity.Ok => "ok  ", Severity.ToDo => "TODO", _ => "FAIL" };
    Console.WriteLine($"  {mark} {finding.Topic,-12} {finding.Text}");
}

var problems = findings.Count(f => f.Severity == Severity.Problem);
var todos = findings.Count(f => f.Severity == Severity.ToDo);
Console.WriteLine(problems == 0
    ? $"Ready for azd up ({todos} to do, see TODO lines)."
    : $"{problems} problem(s): azd up would fail or deploy an app that cannot work. Fix the FAIL lines first.");
return problems == 0 ? 0 : 1;
