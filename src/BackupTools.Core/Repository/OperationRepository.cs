using BackupTools.Core.Errors;

namespace BackupTools.Core.Repository;

/// <summary>
/// The one open repository of an operation: opened at first use (so input checks made before it keep their
/// errors), shared by the work and its audit entries, and disposed with its store when the operation ends.
/// </summary>
public sealed class OperationRepository(RepositoryReference reference) : IDisposable
{
    private readonly object _gate = new();
    private BackupRepository? _open;

    public RepositoryReference Reference => reference;

    public BackupRepository Get()
    {
        lock (_gate) return _open ??= reference.Open();
    }

    /// <summary>The repository, or null when it cannot be opened (for the audit of an operation that failed to open it).</summary>
    public BackupRepository? TryGet()
    {
        try { return Get(); }
        catch (BackupToolsException) { return null; }
    }

    public void Dispose()
    {
        lock (_gate) _open?.Dispose();
    }
}
