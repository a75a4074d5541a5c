using System.Globalization;
using System.Text;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>pax extended header records: "&lt;length&gt; &lt;key&gt;=&lt;value&gt;\n", the length counting the whole record.</summary>
internal static class PaxRecords
{
    public static byte[] Encode(IEnumerable<KeyValuePair<string, string>> records)
    {
        var output = new MemoryStream();
        foreach (var (key, value) in records)
        {
            var body = Encoding.UTF8.GetByteCount($" {key}={value}\n");
            var length = body + 1;
            while (length.ToString(CultureInfo.InvariantCulture).Length + body > length) length++;
            output.Write(Encoding.UTF8.GetBytes($"{length.ToString(CultureInfo.InvariantCulture)} {key}={value}\n"));
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
            var record = Encoding.UTF8.GetString(data[(space + 1)..(length - 1)]);
            var eq = record.IndexOf('=');
            if (eq <= 0) throw new BackupIntegrityException("TarPaxMalformed", "A pax extended header record has no key.");
            result[record[..eq]] = record[(eq + 1)..];
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
        var seconds = long.Parse(dot < 0 ? value : value[..dot], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        long fractionTicks = 0;
        if (dot >= 0)
        {
            var digits = value[(dot + 1)..].PadRight(7, '0')[..7];
            fractionTicks = long.Parse(digits, CultureInfo.InvariantCulture);
            if (seconds < 0 || value.StartsWith('-')) fractionTicks = -fractionTicks;
        }
        return DateTimeOffset.UnixEpoch.AddTicks(seconds * TimeSpan.TicksPerSecond + fractionTicks);
    }
}
