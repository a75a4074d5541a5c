using BackupTools.Core.Errors;
using BackupTools.Core.Keys;

namespace BackupTools.Core.Plans;

/// <summary>Turns a plan's secret references into values at run time. Errors name the reference, never a value.</summary>
public static class SecretResolver
{
    public static string? Resolve(SecretRef? secret, string what)
    {
        if (secret is null) return null;
        if (secret.Env is { } name)
            return Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value
                : throw new BackupInputException("PlanSecretMissing", "Plan", $"{what}: environment variable {name} is not set.",
                    $"Set {name} in the job's environment (cron: in the crontab or a sourced file; systemd: Environment=/EnvironmentFile=).");
        var file = secret.File!;
        if (!File.Exists(file))
            throw new BackupInputException("PlanSecretMissing", "Plan", $"{what}: secret file {file} does not exist.", "Create it (chmod 600) or fix the path in the plan.");
        try
        {
            return File.ReadAllText(file).TrimEnd('\r', '\n');
        }
        catch (UnauthorizedAccessException)
        {
            throw new BackupInputException("PlanSecretUnreadable", "Plan", $"{what}: secret file {file} cannot be read by this user.", "Run the job as the file's owner, or fix its permissions.");
        }
    }

    /// <summary>The plan's key ring: key files, and variables holding a base64 key. Null when the plan names no key.</summary>
    public static BackupKeyRing? KeyRing(BackupPlanDefinition plan, Action<string>? warn = null)
    {
        if (plan.Keys.Count == 0) return null;
        var files = plan.Keys.Where(k => k.File != null).Select(k => k.File!).ToList();
        var base64 = plan.Keys.Where(k => k.Env != null).Select(k => Resolve(k, "keys")!).ToList();
        return BackupKeyRing.Load(new KeySources(files, base64, UseEnvironment: false), warn);
    }
}
