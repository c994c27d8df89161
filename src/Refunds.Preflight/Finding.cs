namespace Refunds.Preflight;

public enum Severity
{
    /// <summary>Checked and fine.</summary>
    Ok,

    /// <summary>The deployment works, but something must be done before or after it (printed with the command).</summary>
    ToDo,

    /// <summary>The deployment fails, or the app cannot work as deployed.</summary>
    Problem,
}

public sealed record Finding(Severity Severity, string Topic, string Text);
