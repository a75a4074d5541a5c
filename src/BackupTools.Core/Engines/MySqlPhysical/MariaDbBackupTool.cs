using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.MySqlPhysical;

/// <summary>mariadb-backup (or its old name mariabackup) and mbstream: beside the client tools of -ToolPath, else on PATH.</summary>
public sealed record MariaDbBackupTool(string Backup, string Mbstream)
{
    public static MariaDbBackupTool Locate(string? toolPath)
    {
        var dirs = new List<string>();
        if (!string.IsNullOrEmpty(toolPath)) dirs.Add(System.IO.Directory.Exists(toolPath) ? toolPath : Path.GetDirectoryName(toolPath) ?? toolPath);
        else dirs.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        foreach (var dir in dirs)
            foreach (var name in new[] { "mariadb-backup", "mariabackup" })
                if (File.Exists(Path.Combine(dir, name)) && File.Exists(Path.Combine(dir, "mbstream")))
                    return new MariaDbBackupTool(Path.Combine(dir, name), Path.Combine(dir, "mbstream"));
        throw new BackupToolsException("MySqlPhysicalToolNotFound", FailureKind.NotFound,
            $"No mariadb-backup with mbstream {(toolPath is null ? "on PATH" : $"in '{toolPath}'")}.",
            "Install it (apt-get install mariadb-backup, the version of the server) or pass -ToolPath. MySQL servers need Percona XtraBackup, which this version does not drive.");
    }

    /// <summary>mariadbd beside the tools (or /usr/sbin, where Debian puts it): the temporary server a restore proves the data on.</summary>
    public string Server()
    {
        foreach (var dir in new[] { Path.GetDirectoryName(Backup)!, "/usr/sbin", "/usr/local/sbin" })
            foreach (var name in new[] { "mariadbd", "mysqld" })
                if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        throw new BackupToolsException("MySqlServerBinaryNotFound", FailureKind.NotFound, $"No mariadbd beside {Backup} nor in /usr/sbin.",
            "Install mariadb-server (a restore proves the data on a temporary server) or pass -ToolPath.");
    }

    /// <summary>The mariadb client beside the tools, else on PATH.</summary>
    public string Client(string? toolPath) => MySqlTools.Locate(toolPath ?? Path.GetDirectoryName(Backup)).Client;
}
