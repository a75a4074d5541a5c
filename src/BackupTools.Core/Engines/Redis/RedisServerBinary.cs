using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.Redis;

/// <summary>Finds redis-server: in -ToolPath when given, else on PATH.</summary>
public static class RedisServerBinary
{
    public static string Locate(string? toolPath)
    {
        var folders = toolPath != null ? [toolPath] : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (var folder in folders)
        {
            var candidate = Path.Combine(folder, "redis-server");
            if (File.Exists(candidate)) return candidate;
        }
        throw new BackupToolsException("RedisServerNotFound", FailureKind.NotFound,
            toolPath is null ? "redis-server is not on PATH." : $"redis-server is not in '{toolPath}'.", "Install redis-server or pass -ToolPath with the folder that holds it.");
    }
}
