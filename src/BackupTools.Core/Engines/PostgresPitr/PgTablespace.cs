using System.Globalization;
using System.Text.Json.Nodes;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// A tablespace outside the data directory as a base backup records it (engineInfo.tablespaces): its oid, name, the
/// location it had on the source and the bytes of its files. Its files travel in the backup's one tar under
/// pg_tblspc/&lt;oid&gt;/ — the paths PostgreSQL's own backup_manifest gives them.
/// </summary>
public sealed record PgTablespace(uint Oid, string Name, string Location, long Bytes = 0)
{
    public const string InfoKey = "tablespaces";

    /// <summary>The folder of its files inside the backup's tar (and, on a restored cluster, the link to its location).</summary>
    public string ArchiveFolder => $"pg_tblspc/{Oid.ToString(CultureInfo.InvariantCulture)}";

    public JsonObject ToJson() => new() { ["oid"] = Oid, ["name"] = Name, ["location"] = Location, ["bytes"] = Bytes };

    /// <summary>The tablespaces a base backup's facts record (none for a cluster without any, and for older backups).</summary>
    public static IReadOnlyList<PgTablespace> From(JsonObject? engineInfo) =>
        engineInfo?[InfoKey] is JsonArray list
            ? list.OfType<JsonObject>().Select(t => new PgTablespace(t["oid"]!.GetValue<uint>(), t["name"]!.GetValue<string>(), t["location"]!.GetValue<string>(),
                t["bytes"]?.GetValue<long>() ?? 0)).ToList()
            : [];
}
