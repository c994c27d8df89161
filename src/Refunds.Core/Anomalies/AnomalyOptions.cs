namespace Refunds.Core.Anomalies;

/// <summary>What the app does about an abnormal payment (setting <c>Anomalies__Mode</c>).</summary>
public enum AnomalyMode
{
    /// <summary>Record it in the Anomalies table and log a warning; a person refunds.</summary>
    Report,

    /// <summary>Record it and enqueue its refund request(s) with deterministic request ids.</summary>
    AutoRefund,

    /// <summary>Neither detect nor record.</summary>
    Off,
}

/// <summary>Settings of the abnormal-payment check, bound from section <c>Anomalies</c>.</summary>
public sealed class AnomalyOptions
{
    public const string SectionName = "Anomalies";

    /// <summary><c>Anomalies__Mode</c>: <c>Report</c> (default), <c>AutoRefund</c> or <c>Off</c>.</summary>
    public AnomalyMode Mode { get; set; } = AnomalyMode.Report;
}
