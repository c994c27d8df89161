using System.Security.Cryptography;
using System.Text;

namespace Refunds.Core.Storage;

/// <summary>Rules for values used as PartitionKey/RowKey, and the stable hash buckets that spread load over partitions.</summary>
public static class TableKeys
{
    /// <summary>Table Storage allows 1 KiB keys; ids here are far shorter, so a long one is a sign of bad input.</summary>
    public const int MaxIdLength = 128;

    /// <summary>
    /// True when <paramref name="id"/> can be part of a key: not empty, at most <see cref="MaxIdLength"/> characters,
    /// none of the characters Table Storage forbids in keys (<c>/ \ # ?</c>, control characters), and no <c>|</c>,
    /// which the ledger uses as its own separator.
    /// </summary>
    public static bool IsValidId(string? id) => IdProblem(id) is null;

    /// <summary>
    /// Why <paramref name="id"/> cannot be part of a key, as a reason for the caller ("must not contain '|' …"), or
    /// null when it can. The one rule for ids that end up in keys: request ids, event ids, refund and order ids.
    /// </summary>
    public static string? IdProblem(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return "must not be empty";
        }

        if (id.Length > MaxIdLength)
        {
            return $"is longer than {MaxIdLength} characters";
        }

        foreach (var c in id)
        {
            if (c is '/' or '\\' or '#' or '?')
            {
                return $"must not contain '{c}' (not allowed in Table Storage keys)";
            }

            if (c is '|' or '~')
            {
                return $"must not contain '{c}' (the ledger's key separators)";
            }

            if (char.IsControl(c) || char.IsWhiteSpace(c))
            {
                return $"must not contain control characters or whitespace (U+{(int)c:X4})";
            }
        }

        return null;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="parameterName"/> when the id is unusable as a key.</summary>
    public static string RequireValidId(string? id, string parameterName)
        => IsValidId(id)
            ? id!
            : throw new ArgumentException($"'{id}' is not a usable id (1-{MaxIdLength} characters, none of / \\ # ? | ~, no whitespace or control characters).", parameterName);

    /// <summary>A bucket in [0, <paramref name="buckets"/>) that depends only on <paramref name="key"/> (SHA-256, so it is stable across processes and versions).</summary>
    public static int Bucket(string key, int buckets)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var byteCount = Encoding.UTF8.GetByteCount(key);
        var buffer = byteCount <= 256 ? stackalloc byte[256] : new byte[byteCount];
        var written = Encoding.UTF8.GetBytes(key, buffer);
        SHA256.HashData(buffer[..written], hash);
        return (int)(BitConverter.ToUInt32(hash) % (uint)buckets);
    }
}
