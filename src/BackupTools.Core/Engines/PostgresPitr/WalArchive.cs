using System.Text.Json.Nodes;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// What a cell's WAL archive holds: every archived file by name, the batch (a WAL backup record) it is in and
/// its SHA-256. WAL travels in batches — one record per push of the spool — so a busy cluster does not turn
/// into one manifest per 16 MB segment.
/// </summary>
public sealed class WalArchive
{
    public const string EngineName = "postgres-wal";

    private readonly Dictionary<string, (BackupManifest Batch, string Sha256)> _files = new(StringComparer.Ordinal);

    public WalArchive(IEnumerable<BackupManifest> manifests, string cell)
    {
        foreach (var batch in manifests.Where(m => m.Engine == EngineName && string.Equals(m.Cell, cell, StringComparison.OrdinalIgnoreCase)).OrderBy(m => m.CompletedAt))
            foreach (var file in Files(batch))
                _files.TryAdd(file.Name, (batch, file.Sha256));
        SystemIdentifier = manifests.Where(m => m.Engine == EngineName && string.Equals(m.Cell, cell, StringComparison.OrdinalIgnoreCase))
            .Select(m => m.EngineInfo?["systemIdentifier"]?.GetValue<string>()).FirstOrDefault(s => s != null);
    }

    /// <summary>The cluster the archive's segments come from (null while it is empty).</summary>
    public string? SystemIdentifier { get; private set; }

    public int Count => _files.Count;

    public IEnumerable<string> Names => _files.Keys;

    public bool TryGet(string name, out BackupManifest batch, out string sha256)
    {
        var found = _files.TryGetValue(name, out var entry);
        (batch, sha256) = found ? entry : (null!, "");
        return found;
    }

    public void Add(BackupManifest batch)
    {
        foreach (var file in Files(batch)) _files.TryAdd(file.Name, (batch, file.Sha256));
        SystemIdentifier ??= batch.EngineInfo?["systemIdentifier"]?.GetValue<string>();
    }

    public static IEnumerable<(string Name, string Sha256, long Bytes)> Files(BackupManifest batch) =>
        batch.EngineInfo?["files"]?.AsArray().Select(f => (f!["name"]!.GetValue<string>(), f["sha256"]!.GetValue<string>(), f["bytes"]!.GetValue<long>())) ?? [];

    public static JsonObject Describe(IEnumerable<(string Name, string Sha256, long Bytes)> files, string? systemIdentifier) => new()
    {
        ["systemIdentifier"] = systemIdentifier,
        ["files"] = new JsonArray(files.Select(f => (JsonNode)new JsonObject { ["name"] = f.Name, ["sha256"] = f.Sha256, ["bytes"] = f.Bytes }).ToArray()),
    };
}
