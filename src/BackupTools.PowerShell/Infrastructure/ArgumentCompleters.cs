using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using BackupTools.Core.Plans;
using BackupTools.Core.Repository;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>
/// Tab completion from the repository the command line names (-Repository, else BACKUPTOOLS_REPOSITORY, with
/// -StorageCredential for S3) or from the server. Completion must never break or stall the shell: any failure,
/// or a repository or server slower than a few seconds, just offers nothing — and the listing behind it is cancelled
/// then, so a slow S3 listing does not go on in the background after the shell gave up on it.
/// </summary>
public abstract class BackupToolsCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var prefix = wordToComplete.Trim('\'', '"');
        try
        {
            var here = CurrentLocation();
            var patience = new CancellationTokenSource(Patience);
            var work = Task.Run(() => Complete(new CompletionContext(commandName, prefix, fakeBoundParameters, here) { Cancel = patience.Token }).ToList());
            work.ContinueWith(_ => patience.Dispose(), TaskScheduler.Default);
            return work.Wait(Patience) ? work.Result : [];
        }
        catch (Exception)
        {
            return [];
        }
    }

    protected abstract IEnumerable<CompletionResult> Complete(CompletionContext context);

    /// <summary>
    /// PowerShell's file system location, read here on the pipeline thread through a nested pipeline (the runspace
    /// is busy running TabExpansion2, so its SessionStateProxy refuses); pwsh never moves the process's directory.
    /// </summary>
    private static string CurrentLocation()
    {
        try
        {
            using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
            ps.AddScript("$ExecutionContext.SessionState.Path.CurrentFileSystemLocation.ProviderPath");
            return ps.Invoke().FirstOrDefault()?.BaseObject as string ?? Environment.CurrentDirectory;
        }
        catch (Exception)
        {
            return Environment.CurrentDirectory;
        }
    }

    /// <summary>Reads candidates from the repository the command line names, with its -StorageCredential; closed after.</summary>
    protected static T FromRepository<T>(CompletionContext context, Func<BackupRepository, T> read)
    {
        // Sync-BackupRepository reads from -Source; elsewhere -Source filters sources.
        var location = context.Bound(context.Is("Sync-BackupRepository") ? "Source" : "Repository") as string;
        if (!string.IsNullOrEmpty(location) && !location.Contains("://", StringComparison.Ordinal)) location = context.FullPath(location);
        var credential = StorageCredentials.From(context.Bound("StorageCredential") as PSCredential);
        using var repository = new RepositoryReference(location, credential).Open();
        return read(repository);
    }

    protected static CompletionResult Result(string text, string? tooltip = null) =>
        new(Quote(text), text, CompletionResultType.ParameterValue, tooltip ?? text);

    private static string Quote(string text) =>
        text.Length > 0 && text.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.') ? text : "'" + text.Replace("'", "''") + "'";

    /// <summary>The engine whose backups a restore cmdlet takes.</summary>
    protected static string? EngineOf(CompletionContext context) =>
        Core.Engines.Registry.EngineRegistry.All.FirstOrDefault(e => string.Equals(e.RestoreCmdlet, context.CommandName, StringComparison.OrdinalIgnoreCase))?.Name;
}

/// <summary>-Cell / -Name: the cells with backups in the repository, or the plan's cells (-Plan; Invoke-BackupPlan's -Path).</summary>
public sealed class CellNameCompleter : BackupToolsCompleter
{
    protected override IEnumerable<CompletionResult> Complete(CompletionContext context)
    {
        if ((context.Bound("Plan") ?? (context.Is("Invoke-BackupPlan") ? context.Bound("Path") : null)) is string plan)
            return PlanLoader.LoadValid(context.FullPath(plan)).Cells.Select(c => c.Name)
                .Where(n => n.StartsWith(context.Prefix, StringComparison.OrdinalIgnoreCase)).Order(StringComparer.OrdinalIgnoreCase).Select(n => Result(n));
        return FromRepository(context, r => CompletionCandidates.Cells(r, context.Prefix, context.Cancel)).Select(n => Result(n));
    }
}

/// <summary>-Id: backup ids, newest first, of the -Cell/-Name given and, for Restore-Postgres/-MySql/-RedisRdb, that engine.</summary>
public sealed class BackupIdCompleter : BackupToolsCompleter
{
    protected override IEnumerable<CompletionResult> Complete(CompletionContext context)
    {
        var cells = (context.Bound("Cell") ?? context.Bound("Name")) switch
        {
            string one => new[] { one },
            IEnumerable many => many.Cast<object?>().Select(o => o?.ToString()).OfType<string>().ToArray(),
            _ => null,
        };
        var engine = EngineOf(context);
        return FromRepository(context, r => CompletionCandidates.Backups(r, context.Prefix, cells, context.Cancel))
            .Where(m => engine is null || m.Engine == engine)
            .Select(m => Result(m.Id, $"{m.Cell}/{m.Source} {m.Engine} {m.Kind} {m.StartedAt:u}"));
    }
}

/// <summary>Restore-Postgres / Restore-MySql -Database: the databases that engine's backups in the repository hold.</summary>
public sealed class BackedUpDatabaseCompleter : BackupToolsCompleter
{
    protected override IEnumerable<CompletionResult> Complete(CompletionContext context) =>
        EngineOf(context) is { } engine ? FromRepository(context, r => CompletionCandidates.Databases(r, engine, context.Prefix, context.Cancel)).Select(n => Result(n)) : [];
}

/// <summary>
/// Backup-Postgres / Backup-MySql -Database: the databases on the server named by -ConnectionString or
/// -Server/-Port/-Credential (else the engine's usual fallbacks, e.g. PG* variables and .pgpass).
/// </summary>
public sealed class ServerDatabaseCompleter : BackupToolsCompleter
{
    protected override IEnumerable<CompletionResult> Complete(CompletionContext context)
    {
        var connectionString = context.Bound("ConnectionString") as string;
        var server = context.Bound("Server") as string;
        var port = context.Bound("Port") is { } p ? Convert.ToInt32(p, System.Globalization.CultureInfo.InvariantCulture) : (int?)null;
        var credential = context.Bound("Credential") as PSCredential;
        var (user, password) = (credential?.UserName, credential?.GetNetworkCredential().Password);
        var names = context.Is("Backup-MySql")
            ? CompletionCandidates.ServerDatabases(Core.Engines.MySql.MySqlTarget.From(connectionString, server, port, user, password), context.Prefix)
            : CompletionCandidates.ServerDatabases(Core.Engines.Postgres.PostgresTarget.From(connectionString, server, port, user, password), context.Prefix);
        return names.Select(n => Result(n));
    }
}

/// <summary>What a completer knows: the command, the word typed so far, the other parameters typed, PowerShell's location.</summary>
public sealed record CompletionContext(string CommandName, string Prefix, IDictionary BoundParameters, string Location)
{
    /// <summary>Cancelled when the shell stops waiting for the candidates.</summary>
    public CancellationToken Cancel { get; init; }

    public bool Is(string command) => CommandName.Equals(command, StringComparison.OrdinalIgnoreCase);

    public object? Bound(string name) =>
        BoundParameters.Contains(name) ? BoundParameters[name] is PSObject wrapped ? wrapped.BaseObject : BoundParameters[name] : null;

    /// <summary>Relative to PowerShell's current location (pwsh does not move the process's directory).</summary>
    public string FullPath(string path) => Path.GetFullPath(path, Location);
}
