namespace BackupTools.Core.Engines.Redis;

/// <summary>Where a server keeps its files, as it reports them (CONFIG GET dir / dbfilename / appenddirname).</summary>
internal static class RedisServerFiles
{
    public static string DumpPath(RedisInspector inspector)
    {
        var dir = inspector.ConfigGet("dir");
        var file = inspector.ConfigGet("dbfilename");
        if (string.IsNullOrEmpty(dir) || string.IsNullOrEmpty(file))
            throw new Errors.BackupToolsException("RedisConfigUnavailable", Errors.FailureKind.NotFound,
                $"{inspector.Target} did not report its dump file (CONFIG GET dir/dbfilename; renamed or forbidden CONFIG?).", "Pass -RdbPath with the dump file's path.");
        return Path.Combine(dir, file);
    }
}
