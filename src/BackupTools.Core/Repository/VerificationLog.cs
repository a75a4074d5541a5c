using System.Text.Json;
using System.Text.Json.Serialization;
using BackupTools.Core.Operations;

namespace BackupTools.Core.Repository;

/// <summary>
/// verifications/&lt;id&gt;.json: the last passed Test-BackupIntegrity of a backup. Retention reads it to
/// never delete the newest backup known to be good. Written atomically and private, like every
/// repository file; a record whose backup no longer exists means nothing.
/// </summary>
public static class VerificationLog
{
    public const string Prefix = "verifications/";
    private const string Suffix = ".json";

    public static string Key(string id) => $"{Prefix}{id}{Suffix}";

    /// <summary>
    /// Remembers a passed verification. Failing to write (a read-only mount, say) does not turn a passed
    /// check into a failed one: it is reported as a warning and the backup simply counts as unverified.
    /// </summary>
    public static bool Record(BackupRepository repository, IntegrityResult result, IOperationObserver observer)
    {
        if (!result.Passed) return false;
        var entry = new VerificationEntry
        {
            Id = result.Id,
            VerifiedAt = DateTimeOffset.UtcNow,
            Checks = result.Checks.Count,
            RestoreTested = result.RestoreDuration is not null,
            ToolVersion = ToolInfo.Version,
        };
        try
        {
            BackupId.Validate(result.Id);
            repository.Store.Replace(Key(result.Id), RepositoryJson.Serialize(entry));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            observer.Warning($"Backup {result.Id} passed, but the verification could not be recorded in {repository.Location}: {e.Message}");
            return false;
        }
    }

    /// <summary>Ids of backups with a recorded passed verification (whether or not the backup still exists).</summary>
    public static IReadOnlySet<string> ReadVerifiedIds(BackupRepository repository)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in repository.Store.List(Prefix))
        {
            if (!key.StartsWith(Prefix, StringComparison.Ordinal) || !key.EndsWith(Suffix, StringComparison.Ordinal)) continue;
            var id = key[Prefix.Length..^Suffix.Length];
            if (!id.Contains('/')) ids.Add(id);
        }
        return ids;
    }

    public static VerificationEntry? Read(BackupRepository repository, string id)
    {
        BackupId.Validate(id);
        if (!repository.Store.Exists(Key(id))) return null;
        try
        {
            using var stream = repository.Store.OpenRead(Key(id));
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return RepositoryJson.Deserialize<VerificationEntry>(buffer.ToArray());
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A failed check withdraws the backup's passed record; failing to do so is only a warning.</summary>
    public static void Forget(BackupRepository repository, string id, IOperationObserver observer)
    {
        try
        {
            Delete(repository, id);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            observer.Warning($"Backup {id} failed its check, but its earlier passed verification could not be withdrawn from {repository.Location}: {e.Message}");
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
    [JsonPropertyName("checks")] public required int Checks { get; init; }
    [JsonPropertyName("restoreTested")] public bool RestoreTested { get; init; }
    [JsonPropertyName("toolVersion")] public required string ToolVersion { get; init; }
}
