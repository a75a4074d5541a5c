using System.Text.Json.Nodes;

namespace BackupTools.Core.Engines.MySqlPitr;

/// <summary>
/// Bytes [Start, End) of one binlog file, whole events only, as archived in a binlog batch (tar entry
/// "file@start"). Closed: the file ends here (rotation or server stop). The growing file is archived in
/// several segments, one per push, so RPO is the push interval, not the file size.
/// </summary>
public sealed record BinlogSegment(string File, long Start, long End, string Sha256, bool Closed,
    DateTimeOffset? FirstTime, DateTimeOffset? LastTime, string? FirstGtid, string? LastGtid, string? StartState)
{
    public string EntryName => $"{File}@{Start}";

    public JsonObject ToJson() => new()
    {
        ["file"] = File, ["start"] = Start, ["end"] = End, ["sha256"] = Sha256, ["closed"] = Closed,
        ["firstTime"] = FirstTime?.ToString("O"), ["lastTime"] = LastTime?.ToString("O"),
        ["firstGtid"] = FirstGtid, ["lastGtid"] = LastGtid, ["startState"] = StartState,
    };

    public static BinlogSegment FromJson(JsonNode n) => new(
        n["file"]!.GetValue<string>(), n["start"]!.GetValue<long>(), n["end"]!.GetValue<long>(), n["sha256"]!.GetValue<string>(), n["closed"]!.GetValue<bool>(),
        Time(n["firstTime"]), Time(n["lastTime"]), n["firstGtid"]?.GetValue<string>(), n["lastGtid"]?.GetValue<string>(), n["startState"]?.GetValue<string>());

    private static DateTimeOffset? Time(JsonNode? n) => n is null ? null : DateTimeOffset.Parse(n.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Binlog file names: base.NNNNNN, ordered by base then number.</summary>
public static class BinlogFileName
{
    public static bool TryParse(string name, out string stem, out long number)
    {
        stem = "";
        number = 0;
        var dot = name.LastIndexOf('.');
        if (dot <= 0 || name.StartsWith('.') || name.Length - dot - 1 < 6 || !long.TryParse(name.AsSpan(dot + 1), System.Globalization.NumberStyles.None, null, out number)) return false;
        stem = name[..dot];
        return true;
    }

    public static string Next(string name) =>
        TryParse(name, out var stem, out var number) ? $"{stem}.{(number + 1).ToString("D6", System.Globalization.CultureInfo.InvariantCulture)}" : name;

    public static int Compare(string a, string b)
    {
        if (TryParse(a, out var sa, out var na) && TryParse(b, out var sb, out var nb) && sa == sb) return na.CompareTo(nb);
        return string.CompareOrdinal(a, b);
    }
}
