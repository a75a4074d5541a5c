using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using BackupTools.Core.Plans;
using BackupTools.Core.Repository;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>
/// Tab completion from the repository the command line names (-Repository, else BACKUPTOOLS_REPOSITORY, with
/// -StorageCredential for S3). Completion must never break or stall the shell: any failure, or a repository
/// slower than a few seconds, just offers nothing.
/// </summary>
public abstract class RepositoryCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var prefix = wordToComplete.Trim('\'', '"');
        try
        {
            var work = Task.Run(() => Complete(commandName, prefix, fakeBoundParameters).ToList());
            return work.Wait(Patience) ? work.Result : [];
        }
        catch (Exception)
        {
            return [];
        }
    }

    protected abstract IEnumerable<CompletionResult> Complete(string commandName, string prefix, IDictionary bound);

    protected static BackupRepository OpenRepository(string commandName, IDictionary bound)
    {
        // Sync-BackupRepository reads from -Source; elsewhere -Source filters sources.
        var location = Bound(bound, commandName.Equals("Sync-BackupRepository", StringComparison.OrdinalIgnoreCase) ? "Source" : "Repository") as string;
        if (!string.IsNullOrEmpty(location) && !location.Contains("://", StringComparison.Ordinal)) location = FullPath(location);
        var credential = StorageCredentials.From(Bound(bound, "StorageCredential") as PSCredential);
        return BackupRepository.Open(RepositoryLocation.OpenStore(location, credential ?? Core.Storage.StorageCredentialScope.For(location)));
    }

    protected static object? Bound(IDictionary bound, string name) =>
        bound.Contains(name) ? bound[name] is PSObject wrapped ? wrapped.BaseObject : bound[name] : null;

    /// <summary>Relative to PowerShell's current location (pwsh does not move the process's directory).</summary>
    protected static string FullPath(string path)
    {
        var here = Runspace.DefaultRunspace?.SessionStateProxy.Path.CurrentFileSystemLocation.ProviderPath;
        return Path.GetFullPath(path, here ?? Environment.CurrentDirectory);
    }

    protected static CompletionResult Result(string text, string? tooltip = null) =>
        new(Quote(text), text, CompletionResultType.ParameterValue, tooltip ?? text);

    private static string Quote(string text) =>
        text.Length > 0 && text.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.') ? text : "'" + text.Replace("'", "''") + "'";

    /// <summary>The engine whose backups a restore cmdlet takes.</summary>
    protected static string? EngineOf(string commandName) => commandName.ToLowerInvariant() switch
    {
        "restore-postgres" => Core.Engines.Postgres.PostgresBackupOperation.EngineName,
        "restore-mysql" => Core.Engines.MySql.MySqlBackupOperation.EngineName,
        "restore-redisrdb" => Core.Engines.Redis.RedisBackupOperation.EngineName,
        _ => null,
    };
}

/// <summary>-Cell / -Name: the cells with backups in the repository, or the plan's cells (-Plan; Invoke-BackupPlan's -Path).</summary>
public sealed class CellNameCompleter : RepositoryCompleter
{
    protected override IEnumerable<CompletionResult> Complete(string commandName, string prefix, IDictionary bound)
    {
        var plan = Bound(bound, "Plan") ?? (commandName.Equals("Invoke-BackupPlan", StringComparison.OrdinalIgnoreCase) ? Bound(bound, "Path") : null);
        if (plan is string)
            return PlanLoader.LoadValid(FullPath((string)plan)).Cells.Select(c => c.Name)
                .Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).Select(n => Result(n));
        return CompletionCandidates.Cells(OpenRepository(commandName, bound), prefix).Select(n => Result(n));
    }
}

/// <summary>-Id: backup ids, newest first, of the -Cell/-Name given and, for Restore-Postgres/-MySql/-RedisRdb, that engine.</summary>
public sealed class BackupIdCompleter : RepositoryCompleter
{
    protected override IEnumerable<CompletionResult> Complete(string commandName, string prefix, IDictionary bound)
    {
        var cells = (Bound(bound, "Cell") ?? Bound(bound, "Name")) switch
        {
            string one => new[] { one },
            IEnumerable many => many.Cast<object?>().Select(o => o?.ToString()).OfType<string>().ToArray(),
            _ => null,
        };
        var engine = EngineOf(commandName);
        return CompletionCandidates.Backups(OpenRepository(commandName, bound), prefix, cells)
            .Where(m => engine is null || m.Engine == engine)
            .Select(m => Result(m.Id, $"{m.Cell}/{m.Source} {m.Engine} {m.Kind} {m.StartedAt:u}"));
    }
}

/// <summary>Restore-Postgres / Restore-MySql -Database: the databases that engine's backups in the repository hold.</summary>
public sealed class BackedUpDatabaseCompleter : RepositoryCompleter
{
    protected override IEnumerable<CompletionResult> Complete(string commandName, string prefix, IDictionary bound) =>
        EngineOf(commandName) is { } engine ? CompletionCandidates.Databases(OpenRepository(commandName, bound), engine, prefix).Select(n => Result(n)) : [];
}
