namespace BackupTools;

/// <summary>
/// A hex digest (SHA-256 of a backup) held as its bytes when it is lowercase hex, as written, and rebuilt as text
/// when read: 56 bytes instead of a 150-byte string per hash (listings hold 50,000 records). Anything else is kept
/// as the text it is.
/// </summary>
internal readonly struct HexText
{
    private readonly object? _value; // string or byte[]

    public HexText(string text) => _value = text;
    private HexText(byte[] bytes) => _value = bytes;

    public string Text => _value switch
    {
        byte[] bytes => Convert.ToHexString(bytes).ToLowerInvariant(),
        string text => text,
        _ => "",
    };

    /// <summary>The digest of lowercase hex UTF-8 text; null when the text is anything else.</summary>
    public static HexText? TryParse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length == 0 || utf8.Length % 2 != 0) return null;
        var bytes = new byte[utf8.Length / 2];
        for (var i = 0; i < bytes.Length; i++)
        {
            int high = Digit(utf8[2 * i]), low = Digit(utf8[2 * i + 1]);
            if (high < 0 || low < 0) return null;
            bytes[i] = (byte)(high << 4 | low);
        }
        return new HexText(bytes);
    }

    private static int Digit(byte c) => c is >= (byte)'0' and <= (byte)'9' ? c - '0' : c is >= (byte)'a' and <= (byte)'f' ? c - 'a' + 10 : -1;
}
