using BackupTools.Core.Errors;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines;

/// <summary>
/// A tool fed straight from a backup (the mariadb client, pg_restore, the RDB reader) meets damaged bytes before
/// the stream's hashes are compared at its end, and fails with its own complaint ("Invalid utf8mb3 character
/// string…", a syntax error) that sends the user after the wrong cause. So when a load fails, the rest of the
/// stream is verified: if the backup is damaged, that is the error reported, naming the backup.
/// </summary>
public static class DamagedBackupCheck
{
    /// <summary>Runs <paramref name="load"/> (which reads <paramref name="data"/>), then verifies the stream to its end.</summary>
    public static void Load(BackupManifest manifest, VerifyingReadStream data, Action load, CancellationToken cancel)
    {
        try
        {
            load();
        }
        catch (Exception loadError) when (loadError is not OperationCanceledException and not BackupIntegrityException and not BackupKeyException)
        {
            if (DamageIn(data, cancel) is { } damage) throw Damaged(manifest, damage, loadError);
            throw;
        }
        data.VerifyToEnd(cancel);
    }

    /// <summary>The damage the rest of the stream reveals; null when it verifies, or when that could not be told.</summary>
    private static BackupIntegrityException? DamageIn(VerifyingReadStream data, CancellationToken cancel)
    {
        try
        {
            data.VerifyToEnd(cancel);
            return null;
        }
        catch (BackupIntegrityException damage) { return damage; }
        catch (Exception e) when (e is IOException or BackupToolsException) { return null; } // the load's own error stands
    }

    private static BackupIntegrityException Damaged(BackupManifest manifest, BackupIntegrityException damage, Exception loadError) => new(
        damage.ErrorId,
        $"Backup {manifest.Id} is damaged: {damage.Message} The load failed on the damaged data ({Gist(loadError.Message)}).",
        "Restore another backup (Get-Backup lists them) or a good copy of this one; Test-BackupIntegrity shows the damage.",
        new AggregateException(damage, loadError));

    /// <summary>First and last line (a client prints the failing statement between the two).</summary>
    private static string Gist(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var gist = lines.Length <= 1 ? text.Trim() : $"{lines[0]} … {lines[^1]}";
        return gist.Length <= 400 ? gist : gist[..400] + "…";
    }
}
