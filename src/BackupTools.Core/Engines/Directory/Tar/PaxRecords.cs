using System.Globalization;
using System.Text;
using BackupTools.Core.Errors;
using BackupTools.Core.Posix;

namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>pax extended header records: "&lt;length&gt; &lt;key&gt;=&lt;value&gt;\n", the length counting the whole record.</summary>
internal static class PaxRecords
{
    public static byte[] Encode(IEnumerable<KeyValuePair<string, string>> records)
    {
        var output = new MemoryStream();
        foreach (var (key, value) in records)
        {
            // Values are written as their bytes: a non-UTF-8 file name (PosixNames) is stored exactly.
            var bytes = PosixNames.ToBytes(value);
            var body = Encoding.UTF8.GetByteCount($" {key}=") + bytes.Length + 1;
            var length = body + 1;
            while (length.ToString(CultureInfo.InvariantCulture).Length + body > length) length++;
            output.Write(Encoding.UTF8.GetBytes($"{length.ToString(CultureInfo.InvariantCulture)} {key}="));
            output.Write(bytes);
            output.WriteByte((byte)'\n');
        }
        return output.ToArray();
    }

    public static Dictionary<string, string> Decode(ReadOnlySpan<byte> data)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!data.IsEmpty)
        {
            var space = data.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(Encoding.ASCII.GetString(data[..space]), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || length > data.Length || length <= space + 1 || data[length - 1] != (byte)'\n')
            {
                if (data.IndexOfAnyExcept((byte)0) < 0) break; // trailing padding
                throw new BackupIntegrityException("TarPaxMalformed", "A pax extended header is malformed: the archive is damaged.");
            }
            var record = data[(space + 1)..(length - 1)];
            var eq = record.IndexOf((byte)'=');
            if (eq <= 0) throw new BackupIntegrityException("TarPaxMalformed", "A pax extended header record has no key.");
            // Values may be raw bytes (hdrcharset=BINARY, or a writer that ignored it): keep them exact.
            result[Encoding.UTF8.GetString(record[..eq])] = PosixNames.FromBytes(record[(eq + 1)..]);
            data = data[length..];
        }
        return result;
    }

    /// <summary>pax time: seconds since the epoch with an optional fraction, e.g. "1709210096.789".</summary>
    public static string FormatTime(DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var fraction);
        if (fraction < 0) { seconds--; fraction += TimeSpan.TicksPerSecond; }
        return fraction == 0 ? seconds.ToString(CultureInfo.InvariantCulture)
            : $"{seconds.ToString(CultureInfo.InvariantCulture)}.{fraction.ToString("D7", CultureInfo.InvariantCulture).TrimEnd('0')}";
    }

    public static DateTimeOffset ParseTime(string value)
    {
        var dot = value.IndexOf('.');
        var whole = dot < 0 ? value : value[..dot];
        var digits = dot < 0 ? "" : value[(dot + 1)..];
        if (!long.TryParse(whole, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
            || digits.Any(c => c is < '0' or > '9')
            || seconds is < -62_135_596_800L or > 253_402_300_799L)
            throw Malformed("mtime");
        // Ticks are 100 ns: keep 7 fraction digits, drop finer ones (GNU tar writes nanoseconds).
        long fractionTicks = digits.Length == 0 ? 0 : long.Parse(digits.PadRight(7, '0')[..7], CultureInfo.InvariantCulture);
        if (value.StartsWith('-')) fractionTicks = -fractionTicks;
        return DateTimeOffset.UnixEpoch.AddTicks(seconds * TimeSpan.TicksPerSecond + fractionTicks);
    }

    public static long ParseSize(string value, string key) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : throw Malformed(key);

    private static BackupIntegrityException Malformed(string key) =>
        new("TarPaxMalformed", $"A pax extended header has a malformed '{key}' value: the archive is damaged.");
}
