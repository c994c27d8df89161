namespace Refunds.Core.Configuration;

/// <summary>The one meter every counter of the app is created on (<see cref="System.Diagnostics.Metrics.IMeterFactory"/>).</summary>
public static class RefundsMeter
{
    public const string Name = "Refunds";
}
