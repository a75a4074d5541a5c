using BackupTools.Core.Repository;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Plans;

/// <summary>
/// A plan's repositories as references: a target's location with that target's own credential (secret references
/// resolved now), any other location with the command's credential (or none: the AWS environment/profile).
/// </summary>
public sealed class PlanRepositories
{
    private readonly Dictionary<string, StorageCredential> _byLocation;
    private readonly StorageCredential? _fallback;

    private PlanRepositories(Dictionary<string, StorageCredential> byLocation, StorageCredential? fallback)
    {
        _byLocation = byLocation;
        _fallback = fallback;
    }

    public static PlanRepositories Of(BackupPlanDefinition plan, StorageCredential? fallback = null)
    {
        var credentials = new Dictionary<string, StorageCredential>(StringComparer.Ordinal);
        foreach (var target in plan.Targets.Values.Where(t => t.AccessKeyId != null || t.SecretAccessKey != null))
        {
            var id = SecretResolver.Resolve(target.AccessKeyId, $"targets.{target.Name}.accessKeyId");
            var secret = SecretResolver.Resolve(target.SecretAccessKey, $"targets.{target.Name}.secretAccessKey");
            if (id is null || secret is null)
                throw new Errors.BackupInputException("PlanTargetCredentialIncomplete", "Plan", $"target {target.Name} names only one of accessKeyId and secretAccessKey.", "Give both, or neither to use the AWS environment/profile.");
            credentials[target.Repository] = new StorageCredential(id, secret);
        }
        return new PlanRepositories(credentials, fallback);
    }

    public RepositoryReference For(string location) => new(location, _byLocation.GetValueOrDefault(location) ?? _fallback);
}
