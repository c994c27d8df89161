namespace Refunds.Core.Signing;

/// <summary>A configured key (PEM text, PEM file or Key Vault key id) is unusable. The message names the setting, never the key.</summary>
public sealed class KeyConfigurationException(string message, Exception? innerException = null) : Exception(message, innerException);
