using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Retention;

public sealed record RetentionRequest(
    RepositoryReference Repository,
    RetentionPolicy Policy,
    IReadOnlyCollection<string>? Cells,
    TimeSpan LockTimeout,
    Func<string, string, bool> ShouldProcess,
    DateTimeOffset? Now = null);

/// <summary>What a retention run decided, and the deletions that failed (each with its error).</summary>
public sealed record RetentionOutcome(IReadOnlyList<RetentionDecision> Decisions, IReadOnlyList<BackupRemoval> Failures);

/// <summary>
/// Invoke-BackupRetention's core: evaluates the policy over the manifests (with the recorded verifications),
/// asks ShouldProcess for each backup it would delete, then deletes the confirmed ones under the writer lock —
/// after evaluating again there, so a backup written meanwhile can only make it keep more, never less.
/// </summary>
public sealed class RetentionOperation(IOperationObserver observer)
{
    public RetentionOutcome Run(RetentionRequest request, CancellationToken cancel)
    {
        request.Policy.Validate();
        foreach (var cell in request.Cells ?? []) BackupId.ValidateCellName(cell);
        using var repository = request.Repository.Open();
        var now = request.Now ?? DateTimeOffset.UtcNow;

        IReadOnlyList<RetentionDecision> Evaluate(IReadOnlyList<BackupManifest> manifests) =>
            RetentionEvaluator.Evaluate(request.Policy, InScope(manifests, request.Cells), VerificationLog.ReadVerifiedIds(repository), now, repository.Location);

        var decisions = Evaluate(repository.ListBackups(observer, cancel));
        foreach (var cell in (request.Cells ?? []).Where(c => !decisions.Any(d => string.Equals(d.Cell, c, StringComparison.OrdinalIgnoreCase))))
            observer.Warning($"Cell '{cell}' has no backups in {repository.Location}.");
        var doomed = decisions.Where(d => !d.Keep).Select(d => d.Id).ToList();
        if (doomed.Count == 0) return new RetentionOutcome(decisions, []);

        var removals = new BackupDeleter(repository, observer).Remove(doomed, force: false, request.LockTimeout, request.ShouldProcess, cancel,
            stillDeletable: current => Evaluate(current).Where(d => !d.Keep).Select(d => d.Id).ToHashSet(StringComparer.Ordinal),
            purpose: "Invoke-BackupRetention");
        var removed = removals.Where(r => r.Removed).Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        return new RetentionOutcome(
            decisions.Select(d => removed.Contains(d.Id) ? d with { Deleted = true } : d).ToList(),
            removals.Where(r => r.Error != null).ToList());
    }

    private static IReadOnlyList<BackupManifest> InScope(IReadOnlyList<BackupManifest> manifests, IReadOnlyCollection<string>? cells) =>
        cells is { Count: > 0 } ? manifests.Where(m => cells.Contains(m.Cell, StringComparer.OrdinalIgnoreCase)).ToList() : manifests;
}
