using System.Globalization;
using BackupTools.Core.Operations;

namespace BackupTools.Core.Storage;

/// <summary>
/// Names of the temp parts under tmp/: "&lt;unix seconds&gt;-&lt;host tag&gt;-&lt;pid&gt;-&lt;guid&gt;.part". Readers also
/// write through tmp/ (verification records) without the writer lock, so a writer's sweep must tell a live
/// process's part from a dead one's: it spares parts whose process is alive on this host, and parts of other
/// hosts younger than <see cref="ForeignPartLifetime"/> (their processes cannot be checked from here).
/// </summary>
public static class TempPartName
{
    public const string Suffix = ".part";
    public static TimeSpan ForeignPartLifetime { get; set; } = TimeSpan.FromHours(1);

    public static string New() =>
        $"{DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}-{OwnerProcess.Tag}-{Guid.NewGuid():N}{Suffix}";

    /// <summary>False for parts a dead process left (or named before owners were recorded): those may be deleted.</summary>
    public static bool MayBeInUse(string fileName, DateTimeOffset now)
    {
        if (!fileName.EndsWith(Suffix, StringComparison.Ordinal)) return false;
        var parts = fileName[..^Suffix.Length].Split('-');
        if (parts.Length != 4 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) return false;
        if (!int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0) return false;
        if (parts[1] == OwnerProcess.HostTag)
            return !OwnerProcess.IsDeadHere(parts[1], pid);
        return now - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253402300799)) < ForeignPartLifetime;
    }
}
