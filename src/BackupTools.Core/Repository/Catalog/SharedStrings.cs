using System.Text.Json;

namespace BackupTools.Core.Repository.Catalog;

/// <summary>
/// Strings that repeat from backup to backup (cell, engine, host, key id…), read straight from UTF-8 JSON: a value
/// seen before costs no allocation and 50,000 listed backups hold each once.
/// </summary>
internal sealed class SharedStrings
{
    private const int MaxShared = 1 << 16;
    private const int MaxLength = 256;
    /// <summary>By hash of the text (net8.0 has no span lookup into a string dictionary); a collision just goes unshared.</summary>
    private readonly Dictionary<int, string> _strings = new();
    private (string Algorithm, int Level, string Text)? _lastCompression;

    /// <summary>The string (or property name) the reader is on, shared with every equal one read before.</summary>
    public string Read(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName)) throw new JsonException($"expected a string, found {reader.TokenType}");
        if (reader.HasValueSequence || reader.ValueSpan.Length > MaxLength) return reader.GetString()!;
        // UTF-8 bytes (escaped or not) are at least as many as the UTF-16 chars they decode to.
        Span<char> chars = stackalloc char[MaxLength];
        return Share(chars[..reader.CopyString(chars)]);
    }

    /// <summary>A record's compression ("zstd:3", "none"), built once per algorithm and level.</summary>
    public string Compression(string algorithm, int level)
    {
        if (algorithm == "none") return "none";
        if (_lastCompression is { } last && last.Level == level && last.Algorithm == algorithm) return last.Text;
        var text = Share($"{algorithm}:{level}");
        _lastCompression = (algorithm, level, text);
        return text;
    }

    private string Share(ReadOnlySpan<char> text)
    {
        var hash = string.GetHashCode(text);
        if (_strings.TryGetValue(hash, out var shared) && text.SequenceEqual(shared)) return shared;
        var value = text.ToString();
        if (shared is null && _strings.Count < MaxShared) _strings[hash] = value;
        return value;
    }
}
