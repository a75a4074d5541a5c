using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Status;

public sealed record StatusRequest(RepositoryReference Repository, StatusPolicy Policy, IReadOnlyCollection<string>? Cells = null, DateTimeOffset? Now = null);

/// <summary>Get-BackupStatus's core: reads the repository (and each required target) and evaluates the series.</summary>
public sealed class StatusOperation(IOperationObserver observer)
{
    public StatusReport Run(StatusRequest request, CancellationToken cancel = default)
    {
        request.Policy.Validate();
        foreach (var cell in request.Cells ?? []) BackupId.ValidateCellName(cell);
        using var repository = request.Repository.Open();
        var manifests = repository.ListBackups(observer, cancel)
            .Where(m => request.Cells is not { Count: > 0 } || request.Cells.Contains(m.Cell, StringComparer.OrdinalIgnoreCase))
            .ToList();
        var targets = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (var target in request.Policy.RequiredTargets ?? [])
        {
            var (location, ids) = IdsOn(request.Repository with { Location = target }, cancel);
            targets[location] = ids;
        }
        var statuses = BackupStatusEvaluator.Evaluate(request.Policy, manifests, VerificationLog.ReadAll(repository),
            request.Now ?? DateTimeOffset.UtcNow, repository.Location, targets, repository.AllKeyWraps(), ArchiverHeartbeats.ReadAll(repository));
        var missingCells = (request.Cells ?? [])
            .Where(c => !manifests.Any(m => string.Equals(m.Cell, c, StringComparison.OrdinalIgnoreCase)))
            .ToList();
        return new StatusReport(repository.Location, statuses, missingCells);
    }

    /// <summary>
    /// Ids of the backups a target repository holds (by manifest), opened with the command's credential.
    /// An unreachable target holds none, with a warning.
    /// </summary>
    private (string Location, IReadOnlySet<string> Ids) IdsOn(RepositoryReference target, CancellationToken cancel)
    {
        try
        {
            using var repository = target.Open();
            return (repository.Location, repository.ListBackups(observer, cancel).Select(m => m.Id).ToHashSet(StringComparer.Ordinal));
        }
        catch (BackupToolsException e)
        {
            observer.Warning($"Required target {target} could not be read: {e.Message}");
            return (target.Location!, new HashSet<string>());
        }
    }
}

/// <summary>The statuses of a repository's series, and the cells asked about that have no backup at all.</summary>
public sealed record StatusReport(string Repository, IReadOnlyList<BackupStatus> Statuses, IReadOnlyList<string> CellsWithoutBackups)
{
    public long RepositoryStoredBytes => Statuses.Sum(s => s.SeriesStoredBytes);
}
