using System.Globalization;
using BackupTools.Core.Repository;
using BackupTools.Core.Retention;

namespace BackupTools.Tests.Retention;

/// <summary>Manifests made up in memory, for evaluating retention at any date without faking clocks.</summary>
public sealed class SyntheticHistory
{
    private readonly List<BackupManifest> _manifests = [];
    private int _serial;

    public IReadOnlyList<BackupManifest> Manifests => _manifests;

    public static DateTimeOffset At(string utc) =>
        DateTimeOffset.Parse(utc, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public BackupManifest Add(string at, BackupKind kind = BackupKind.Full, BackupManifest? parent = null, string cell = "crm",
        string source = "/data/crm", string engine = "directory", Dictionary<string, string>? tags = null, long rawBytes = 1) =>
        Add(DateTimeOffset.Parse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal), kind, parent, cell, source, engine, tags, rawBytes);

    public BackupManifest Add(DateTimeOffset startedAt, BackupKind kind = BackupKind.Full, BackupManifest? parent = null, string cell = "crm",
        string source = "/data/crm", string engine = "directory", Dictionary<string, string>? tags = null, long rawBytes = 1)
    {
        var id = $"{startedAt.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{cell}-{engine}-{++_serial:x6}";
        var manifest = new BackupManifest
        {
            Id = id, Cell = cell, Source = source, Engine = engine, Kind = kind, ParentId = parent?.Id,
            StartedAt = startedAt, CompletedAt = startedAt.AddMinutes(1), Host = "test", ToolVersion = "0.0.0",
            Compression = new ManifestCompression { Algorithm = "none" },
            Objects = new() { ["data"] = new ManifestObject { Key = $"backups/{id}/data", StoredBytes = Math.Max(1, rawBytes / 3), Sha256 = "00", RawBytes = rawBytes, RawSha256 = "00" } },
            Tags = tags ?? new(),
        };
        _manifests.Add(manifest);
        return manifest;
    }

    public IReadOnlyList<RetentionDecision> Evaluate(RetentionPolicy policy, string now, params BackupManifest[] verified) =>
        RetentionEvaluator.Evaluate(policy, _manifests, verified.Select(m => m.Id).ToHashSet(), At(now));

    public static RetentionDecision For(IReadOnlyList<RetentionDecision> decisions, BackupManifest m) => decisions.Single(d => d.Id == m.Id);

    public static string[] KeptIds(IReadOnlyList<RetentionDecision> decisions) => decisions.Where(d => d.Keep).Select(d => d.Id).Order(StringComparer.Ordinal).ToArray();

    public static string[] Ids(params BackupManifest[] manifests) => manifests.Select(m => m.Id).Order(StringComparer.Ordinal).ToArray();
}
