using System.Buffers;
using System.Text;

namespace BackupTools.Core.Posix;

/// <summary>
/// Linux file names are bytes, not text. A name that is not valid UTF-8 is carried in a .NET string the way
/// Python's "surrogateescape" does it: valid UTF-8 decodes as usual and each byte of an invalid sequence
/// becomes the lone surrogate U+DC80..U+DCFF (0xDC00 + byte). Every name then round-trips byte-exact, and
/// ordinary names are the same strings as before. Such strings must reach the OS as bytes (PosixFiles):
/// .NET's own file APIs would encode the surrogates as U+FFFD and name another file.
/// </summary>
public static class PosixNames
{
    public static string FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return Encoding.UTF8.GetString(bytes);
        var text = new StringBuilder(bytes.Length);
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out var rune, out var consumed) == OperationStatus.Done)
            {
                text.Append(rune.ToString());
                bytes = bytes[consumed..];
            }
            else
            {
                text.Append((char)(0xDC00 + bytes[0])); // only bytes >= 0x80 are ever invalid
                bytes = bytes[1..];
            }
        }
        return text.ToString();
    }

    public static byte[] ToBytes(string name)
    {
        if (!HasEscapedBytes(name)) return Encoding.UTF8.GetBytes(name);
        var output = new List<byte>(name.Length + 8);
        Span<byte> utf8 = stackalloc byte[4];
        var rest = name.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var consumed) == OperationStatus.Done)
            {
                var n = rune.EncodeToUtf8(utf8);
                for (var i = 0; i < n; i++) output.Add(utf8[i]);
            }
            else if (IsEscapedByte(rest[0]))
            {
                output.Add((byte)(rest[0] - 0xDC00));
                consumed = 1;
            }
            else
            {
                output.AddRange("\uFFFD"u8.ToArray()); // a lone surrogate we did not make: what .NET itself writes
                consumed = 1;
            }
            rest = rest[consumed..];
        }
        return output.ToArray();
    }

    /// <summary>Bytes for a C call: the name followed by its terminating NUL.</summary>
    public static byte[] ToCString(string name)
    {
        var bytes = ToBytes(name);
        Array.Resize(ref bytes, bytes.Length + 1);
        return bytes;
    }

    /// <summary>Whether the string holds bytes that are not UTF-8 (so .NET's file APIs cannot name it).</summary>
    public static bool HasEscapedBytes(string name)
    {
        var span = name.AsSpan();
        var at = span.IndexOfAnyInRange('\uDC80', '\uDCFF');
        while (at >= 0)
        {
            if (at == 0 || !char.IsHighSurrogate(span[at - 1])) return true;
            var next = span[(at + 1)..].IndexOfAnyInRange('\uDC80', '\uDCFF');
            at = next < 0 ? -1 : at + 1 + next;
        }
        return false;
    }

    /// <summary>A name for messages: non-UTF-8 bytes as \xNN (as ls -b shows them), control characters likewise.</summary>
    public static string Display(string name)
    {
        var text = new StringBuilder(name.Length);
        var rest = name.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var consumed) == OperationStatus.Done)
                text.Append(Rune.IsControl(rune) ? $"\\x{rune.Value:x2}" : rune.ToString());
            else
            {
                text.Append($"\\x{(IsEscapedByte(rest[0]) ? rest[0] - 0xDC00 : rest[0]):x2}");
                consumed = 1;
            }
            rest = rest[consumed..];
        }
        return text.ToString();
    }

    private static bool IsEscapedByte(char c) => c is >= '\uDC80' and <= '\uDCFF';
}
