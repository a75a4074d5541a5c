using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Status;

public sealed record StatusRequest(string? RepositoryLocation, StatusPolicy Policy, IReadOnlyCollection<string>? Cells = null, DateTimeOffset? Now = null);

/// <summary>Get-BackupStatus's core: reads the repository (and each required target) and evaluates the series.</summary>
public sealed class StatusOperation(IOperationObserver observer)
{
    public StatusReport Run(StatusRequest request)
    {
        request.Policy.Validate();
        foreach (var cell in request.Cells ?? []) BackupId.ValidateCellName(cell);
        var repository = BackupRepository.Open(RepositoryLocation.OpenStore(request.RepositoryLocation));
        var manifests = repository.ListManifests(observer)
            .Where(m => request.Cells is not { Count: > 0 } || request.Cells.Contains(m.Cell, StringComparer.OrdinalIgnoreCase))
            .ToList();
        var targets = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (var target in request.Policy.RequiredTargets ?? [])
        {
            var (location, ids) = IdsOn(target);
            targets[location] = ids;
        }
        var statuses = BackupStatusEvaluator.Evaluate(request.Policy, manifests, VerificationLog.ReadAll(repository),
            request.Now ?? DateTimeOffset.UtcNow, repository.Location, targets);
        var missingCells = (request.Cells ?? [])
            .Where(c => !manifests.Any(m => string.Equals(m.Cell, c, StringComparison.OrdinalIgnoreCase)))
            .ToList();
        return new StatusReport(repository.Location, statuses, missingCells);
    }

    /// <summary>Ids of the backups a target repository holds (by manifest). An unreachable target holds none, with a warning.</summary>
    private (string Location, IReadOnlySet<string> Ids) IdsOn(string target)
    {
        try
        {
            var repository = BackupRepository.Open(RepositoryLocation.OpenStore(target));
            return (repository.Location, repository.ListManifests(observer).Select(m => m.Id).ToHashSet(StringComparer.Ordinal));
        }
        catch (BackupToolsException e)
        {
            observer.Warning($"Required target {target} could not be read: {e.Message}");
            return (target, new HashSet<string>());
        }
    }
}

/// <summary>The statuses of a repository's series, and the cells asked about that have no backup at all.</summary>
public sealed record StatusReport(string Repository, IReadOnlyList<BackupStatus> Statuses, IReadOnlyList<string> CellsWithoutBackups)
{
    public long RepositoryStoredBytes => Statuses.Sum(s => s.SeriesStoredBytes);
}
