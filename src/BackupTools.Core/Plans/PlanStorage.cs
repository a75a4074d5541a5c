using BackupTools.Core.Storage;

namespace BackupTools.Core.Plans;

/// <summary>A plan's target credentials (secret references resolved now), installed for the run so each target opens with its own keys.</summary>
public static class PlanStorage
{
    public static IDisposable UseTargetCredentials(BackupPlanDefinition plan, IEnumerable<string>? extraLocations = null)
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
        return StorageCredentialScope.UsePerLocation(credentials);
    }
}
