namespace Refunds.Core.Configuration;

/// <summary>Queue and table names shared by the code and the Bicep templates.</summary>
public static class StorageNames
{
    public const string DefaultRefundRequestsQueue = "refund-requests";
    public const string PoisonSuffix = "-poison";
}
