namespace Refunds.Core.Operations;

/// <summary>The rule for an operator's free text (a reason or a note): at most 1000 characters, no control characters.</summary>
public static class OperatorText
{
    public const int MaxLength = 1000;

    /// <summary>Why <paramref name="text"/> is not acceptable as <paramref name="name"/>, or null when it is.</summary>
    public static string? Problem(string name, string? text, bool required)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return required ? $"{name} is required" : null;
        }

        if (text.Length > MaxLength)
        {
            return $"{name} is longer than {MaxLength} characters";
        }

        return text.Any(char.IsControl) ? $"{name} must not contain control characters" : null;
    }
}
