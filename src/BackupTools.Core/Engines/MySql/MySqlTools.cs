using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.MySql;

/// <summary>Finds mariadb-dump or mysqldump (and the matching client): -ToolPath, else PATH.</summary>
public sealed record MySqlTools(string Dump, string Client)
{
    /// <summary>Flavour and version of the dump tool (its options differ between MariaDB's and MySQL's).</summary>
    public MySqlDumpTool DumpTool()
    {
        using var output = new MemoryStream();
        External.ExternalTool.Run(Dump, ["--version"], new Dictionary<string, string>(), output, null, CancellationToken.None);
        return MySqlDumpTool.From(System.Text.Encoding.UTF8.GetString(output.ToArray()).Split('\n')[0]);
    }

    public static MySqlTools Locate(string? toolPath)
    {
        var dirs = !string.IsNullOrEmpty(toolPath)
            ? [System.IO.Directory.Exists(toolPath) ? toolPath : Path.GetDirectoryName(toolPath) ?? toolPath]
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (var dir in dirs)
        {
            foreach (var (dump, client) in new[] { ("mariadb-dump", "mariadb"), ("mysqldump", "mysql") })
            {
                if (File.Exists(Path.Combine(dir, dump)) && File.Exists(Path.Combine(dir, client)))
                    return new MySqlTools(Path.Combine(dir, dump), Path.Combine(dir, client));
            }
        }
        if (!string.IsNullOrEmpty(toolPath))
            throw new BackupInputException("MySqlDumpNotFound", "ToolPath", $"'{toolPath}' has no mariadb-dump or mysqldump (with its client).", "Point -ToolPath at the folder holding them.");
        throw new BackupToolsException("MySqlDumpNotFound", FailureKind.NotFound, "Neither mariadb-dump nor mysqldump was found on PATH.",
            "Install the client (apt-get install mariadb-client) or pass -ToolPath.");
    }
}
