using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BackupTools.Core.Repository;

/// <summary>Maps a manifest onto the BackupRecord objects that flow down the PowerShell pipeline.</summary>
public static class ManifestRecords
{
    private static readonly IReadOnlyDictionary<string, string> NoTags = new Dictionary<string, string>();

    /// <param name="keyWraps">The backup's rotation record (keywraps/&lt;id&gt;.json), if any: it says which keys it needs now.</param>
    public static BackupRecord ToRecord(BackupManifest m, string repository, KeyWrapRecord? keyWraps = null) => ToRecord(m, repository, NeededKeys.Of(m, keyWraps));

    public static BackupRecord ToRecord(BackupManifest m, string repository, IReadOnlyList<NeededKey> needed) => new()
    {
        Id = m.Id,
        Cell = m.Cell,
        Source = m.Source,
        Engine = m.Engine,
        Kind = m.Kind,
        ParentId = m.ParentId,
        StartedAt = m.StartedAt,
        CompletedAt = m.CompletedAt,
        RawBytes = m.Data.RawBytes,
        StoredBytes = m.Objects.Values.Sum(o => o.StoredBytes),
        Sha256 = m.Data.Sha256,
        RawSha256 = m.Data.RawSha256,
        Compression = m.Compression.Algorithm == "none" ? "none" : $"{m.Compression.Algorithm}:{m.Compression.Level}",
        KeyId = needed.FirstOrDefault()?.KeyId,
        KeyName = needed.FirstOrDefault()?.KeyName,
        KeyIds = needed.Select(k => k.KeyId).ToArray(),
        Repository = repository,
        Location = m.Data.Key,
        Host = m.Host,
        ToolVersion = m.ToolVersion,
        EngineInfoSource = () => m.EngineInfo is null ? new Dictionary<string, object?>() : ToDictionary(m.EngineInfo),
        Tags = m.Tags.Count == 0 ? NoTags : new Dictionary<string, string>(m.Tags),
        Status = m.Status,
        IsSafetyBackup = SafetyBackup.IsSafetyBackup(m),
    };

    /// <summary>A record's engine facts from their UTF-8 JSON (catalog listings keep only those bytes until asked).</summary>
    internal static IReadOnlyDictionary<string, object?> EngineInfoOf(byte[] json) =>
        JsonNode.Parse(json) is JsonObject facts ? ToDictionary(facts) : new Dictionary<string, object?>();

    private static Dictionary<string, object?> ToDictionary(JsonObject json) =>
        json.ToDictionary(p => p.Key, p => ToPlain(p.Value));

    private static object? ToPlain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => ToDictionary(o),
        JsonArray a => a.Select(ToPlain).ToArray(),
        // Read back from JSON a value wraps a JsonElement: reading it directly spares a serialization per number (listings map 50,000 of these).
        JsonValue v when v.TryGetValue<JsonElement>(out var e) => e.ValueKind switch
        {
            JsonValueKind.String => e.GetString(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => e.TryGetInt64(out var l) ? (object)l : e.GetDouble(), // (object): a bare ternary would make every integer a double
            _ => e.ToString(),
        },
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => long.TryParse(v.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? (object)l
                : double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture),
            _ => v.ToString(),
        },
        _ => node.ToJsonString(),
    };
}
