using System.Text.Json;
using System.Text.Json.Serialization;

namespace BackupTools.Core.Engines.Directory;

/// <summary>meta.json inside every cell archive; field names follow the operators' existing scripts (backed_at).</summary>
public sealed record CellMeta(
    [property: JsonPropertyName("backed_at")] DateTimeOffset BackedAt,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("tool_version")] string ToolVersion,
    [property: JsonPropertyName("cell")] string Cell,
    [property: JsonPropertyName("backup_id")] string BackupId,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("parent_id")] string? ParentId,
    [property: JsonPropertyName("source_path")] string SourcePath)
{
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, new JsonSerializerOptions { WriteIndented = true });
    public static CellMeta? FromJson(byte[] json) => JsonSerializer.Deserialize<CellMeta>(json);
}
