using System.Security.Cryptography;
using System.Text.Json;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Audit;

public sealed record AuditQuery(DateTimeOffset? Since = null, DateTimeOffset? Until = null, IReadOnlyCollection<string>? Operations = null,
    IReadOnlyCollection<string>? Cells = null, string? Id = null, bool FailedOnly = false, int Last = 0);

/// <summary>What an audit entry is about; the outcome (result, ids, message) is added when the operation ends.</summary>
public sealed record AuditSubject(string Operation, string? Cell = null, string? Engine = null, string? Source = null);

/// <summary>
/// The repository's append-only audit log: audit/&lt;yyyy-MM&gt;/&lt;timestamp&gt;-&lt;random&gt;.json, one object per entry,
/// created exclusively and never rewritten — so concurrent writers on any backend (a folder, a NAS, S3)
/// cannot lose each other's entries, and a month's prefix can be listed alone. Writing an entry never fails
/// the operation it describes: a failure to audit is a warning.
/// </summary>
public static class AuditLog
{
    public const string Prefix = "audit/";

    public static void Append(BackupRepository repository, AuditSubject subject, string result, IEnumerable<string>? ids,
        string? message, string? errorId, IOperationObserver observer)
    {
        var at = DateTimeOffset.UtcNow;
        var entry = new AuditEntry
        {
            At = at,
            Operation = subject.Operation,
            Result = result,
            Cell = subject.Cell,
            Engine = subject.Engine,
            Source = subject.Source,
            Ids = ids?.ToArray() ?? [],
            Message = message,
            ErrorId = errorId,
            User = Environment.UserName,
            Host = Environment.MachineName,
            ProcessId = Environment.ProcessId,
            ToolVersion = ToolInfo.Version,
        };
        var key = $"{Prefix}{at.UtcDateTime:yyyy-MM}/{at.UtcDateTime:yyyyMMdd'T'HHmmss'.'fffffff'Z'}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant()}.json";
        try
        {
            if (!repository.Store.TryCreateExclusive(key, RepositoryJson.Serialize(entry)))
                observer.Warning($"Audit entry {key} already exists in {repository.Location}; this {subject.Operation} was not audited.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BackupToolsException)
        {
            observer.Warning($"The {subject.Operation} could not be written to the audit log of {repository.Location}: {e.Message}");
        }
    }

    public static string ErrorIdOf(Exception e) => e switch
    {
        BackupToolsException known => known.ErrorId,
        OperationCanceledException => "OperationStopped",
        _ => e.GetType().Name,
    };

    /// <summary>Get-BackupAudit's filters: entries oldest first, then by operation, cell, backup id, failures only, newest N.</summary>
    public static IReadOnlyList<AuditEntry> Query(BackupRepository repository, AuditQuery query, IOperationObserver observer)
    {
        IEnumerable<AuditEntry> entries = Read(repository, query.Since, query.Until, observer);
        if (query.Operations is { Count: > 0 } ops) entries = entries.Where(e => ops.Contains(e.Operation, StringComparer.OrdinalIgnoreCase));
        if (query.Cells is { Count: > 0 } cells) entries = entries.Where(e => cells.Contains(e.Cell, StringComparer.OrdinalIgnoreCase));
        if (query.Id != null) entries = entries.Where(e => e.Ids.Contains(query.Id, StringComparer.Ordinal));
        if (query.FailedOnly) entries = entries.Where(e => !e.Succeeded);
        var list = entries.ToList();
        return query.Last > 0 ? list.Skip(Math.Max(0, list.Count - query.Last)).ToList() : list;
    }

    /// <summary>Entries oldest first; only the months that can hold entries in [since, until] are listed.</summary>
    public static IReadOnlyList<AuditEntry> Read(BackupRepository repository, DateTimeOffset? since, DateTimeOffset? until, IOperationObserver observer)
    {
        var entries = new List<AuditEntry>();
        foreach (var key in repository.Store.List(Prefix).Where(k => k.EndsWith(".json", StringComparison.Ordinal) && MonthInRange(k, since, until)).ToList())
        {
            try
            {
                using var stream = repository.Store.OpenRead(key);
                var entry = JsonSerializer.Deserialize<AuditEntry>(stream, RepositoryJson.Options);
                if (entry is null) continue;
                entry.Repository = repository.Location;
                if ((since is null || entry.At >= since) && (until is null || entry.At <= until)) entries.Add(entry);
            }
            catch (Exception e) when (e is JsonException or StoreObjectNotFoundException)
            {
                observer.Warning($"Skipping unreadable audit entry {key}: {e.Message}");
            }
        }
        return entries.OrderBy(e => e.At).ToList();
    }

    private static bool MonthInRange(string key, DateTimeOffset? since, DateTimeOffset? until)
    {
        var parts = key.Split('/');
        if (parts.Length != 3 || !DateTime.TryParseExact(parts[1], "yyyy-MM", System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var month))
            return false;
        var start = new DateTimeOffset(month, TimeSpan.Zero);
        return (since is null || start.AddMonths(1) > since) && (until is null || start <= until);
    }
}
