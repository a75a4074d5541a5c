using System.Text.Json;
using System.Text.Json.Serialization;
using BackupTools.Core.Operations;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository;

/// <summary>
/// verifications/&lt;id&gt;.json: the outcome of the last Test-BackupIntegrity of a backup, passed or not.
/// Retention reads it to never delete the newest backup known to be good; Get-BackupStatus reads it for
/// the last verification and verified restore. Written atomically and private, like every repository
/// file; a record whose backup no longer exists means nothing.
/// </summary>
public static class VerificationLog
{
    public const string Prefix = "verifications/";
    private const string Suffix = ".json";

    public static string Key(string id) => $"{Prefix}{id}{Suffix}";

    /// <summary>
    /// Remembers a verification's outcome. Failing to write (a read-only mount, say) does not change the
    /// check's result: it is reported as a warning and the backup keeps whatever standing it had.
    /// </summary>
    public static bool Record(BackupRepository repository, IntegrityResult result, IOperationObserver observer)
    {
        var entry = new VerificationEntry
        {
            Id = result.Id,
            VerifiedAt = DateTimeOffset.UtcNow,
            Passed = result.Passed,
            FailedCheck = result.FailedCheck,
            Checks = result.Checks.Count,
            RestoreTested = result.RestoreDuration is not null,
            RestoreSeconds = result.RestoreDuration?.TotalSeconds,
            ToolVersion = ToolInfo.Version,
        };
        try
        {
            BackupId.Validate(result.Id);
            var content = RepositoryJson.Serialize(entry);
            try
            {
                repository.Store.Replace(Key(result.Id), content);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                // A writer's sweep (one that predates owner-tagged temp parts) removed our temp part: once more.
                repository.Store.Replace(Key(result.Id), content);
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            observer.Warning($"Backup {result.Id} was checked ({(result.Passed ? "passed" : "failed")}), but the outcome could not be recorded in {repository.Location}: {e.Message}");
            return false;
        }
    }

    /// <summary>Every readable verification record, by backup id (whether or not the backup still exists).</summary>
    public static IReadOnlyDictionary<string, VerificationEntry> ReadAll(BackupRepository repository)
    {
        var entries = new Dictionary<string, VerificationEntry>(StringComparer.Ordinal);
        foreach (var key in repository.Store.List(Prefix).ToList())
        {
            if (!key.StartsWith(Prefix, StringComparison.Ordinal) || !key.EndsWith(Suffix, StringComparison.Ordinal)) continue;
            var id = key[Prefix.Length..^Suffix.Length];
            if (id.Contains('/')) continue;
            if (Read(repository, id) is { } entry) entries[id] = entry;
        }
        return entries;
    }

    /// <summary>Ids of backups whose last verification passed.</summary>
    public static IReadOnlySet<string> ReadVerifiedIds(BackupRepository repository) =>
        ReadAll(repository).Where(e => e.Value.Passed).Select(e => e.Key).ToHashSet(StringComparer.Ordinal);

    public static VerificationEntry? Read(BackupRepository repository, string id)
    {
        if (!BackupId.IsValid(id) || !repository.Store.Exists(Key(id))) return null;
        try
        {
            using var stream = repository.Store.OpenRead(Key(id));
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return RepositoryJson.Deserialize<VerificationEntry>(buffer.ToArray());
        }
        catch (Exception e) when (e is JsonException or StoreObjectNotFoundException)
        {
            return null;
        }
    }

    public static void Delete(BackupRepository repository, string id)
    {
        if (repository.Store.Exists(Key(id))) repository.Store.Delete(Key(id));
    }
}

public sealed class VerificationEntry
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("verifiedAt")] public required DateTimeOffset VerifiedAt { get; init; }
    /// <summary>Absent in records written before failures were recorded: those only recorded passes.</summary>
    [JsonPropertyName("passed")] public bool Passed { get; init; } = true;
    [JsonPropertyName("failedCheck")] public string? FailedCheck { get; init; }
    [JsonPropertyName("checks")] public required int Checks { get; init; }
    [JsonPropertyName("restoreTested")] public bool RestoreTested { get; init; }
    [JsonPropertyName("restoreSeconds")] public double? RestoreSeconds { get; init; }
    [JsonPropertyName("toolVersion")] public required string ToolVersion { get; init; }
}
