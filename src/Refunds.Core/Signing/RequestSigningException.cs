namespace Refunds.Core.Signing;

/// <summary>
/// A request could not be signed, so it was never sent. <see cref="IsTransient"/> tells a throttled or unavailable
/// signer (retry later) from a configuration problem such as a missing permission or a deleted key.
/// </summary>
public sealed class RequestSigningException(string message, bool isTransient, int? status = null, Exception? innerException = null)
    : Exception(message, innerException)
{
    public bool IsTransient { get; } = isTransient;

    /// <summary>HTTP status of the signer's answer (Key Vault), if there was one.</summary>
    public int? Status { get; } = status;
}
