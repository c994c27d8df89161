namespace Refunds.Core.Operations;

/// <summary>A query parameter an operator route cannot use: answered 400 <c>invalid_parameter</c> naming <see cref="Parameter"/>.</summary>
public sealed class OperatorParameterException(string parameter, string message) : Exception(message)
{
    public string Parameter { get; } = parameter;

    /// <summary>The error code of the answer: <c>invalid_parameter</c>, or <c>too_many_rows</c> for an export beyond its bound.</summary>
    public string Code { get; init; } = "invalid_parameter";
}
