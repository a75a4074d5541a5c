using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Cells;

/// <summary>Per test: a temp folder with a repository, a key file, a sample cell, and a PowerShell session.</summary>
public abstract class CellTestBase : IDisposable
{
    protected readonly TempDir Temp = new();
    protected readonly PsSession Ps = new();

    protected string Repo => Temp.Sub("repo");
    protected string KeyPath => Temp.Sub("key.json");
    protected string Cell => Temp.Sub("cells/crm");

    protected Dictionary<string, object?> Vars(params (string Name, object? Value)[] extra)
    {
        var vars = new Dictionary<string, object?> { ["repo"] = Repo, ["key"] = KeyPath, ["cell"] = Cell, ["temp"] = Temp.Path };
        foreach (var (name, value) in extra) vars[name] = value;
        return vars;
    }

    protected PsResult Run(string script, params (string Name, object? Value)[] extra) => Ps.Run(script, Vars(extra));

    protected void InitRepoWithKey(bool createCell = true, string format = "v1")
    {
        Run("Initialize-BackupRepository -Path $repo -Format $format | Out-Null; New-BackupKey -Path $key | Out-Null", ("format", format)).AssertNoErrors();
        if (createCell) SampleTree.Create(Cell);
    }

    protected BackupRecord Backup(string type = "Full") =>
        Run($"Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $key -Type {type}").AssertNoErrors().Single<BackupRecord>();

    protected static void CopyTree(string from, string to)
    {
        foreach (var info in new DirectoryInfo(from).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, info.FullName));
            if (info.LinkTarget != null) { Directory.CreateDirectory(Path.GetDirectoryName(target)!); File.CreateSymbolicLink(target, info.LinkTarget); }
            else if (info is DirectoryInfo) Directory.CreateDirectory(target);
            else { Directory.CreateDirectory(Path.GetDirectoryName(target)!); File.Copy(info.FullName, target); File.SetUnixFileMode(target, info.UnixFileMode); File.SetLastWriteTimeUtc(target, info.LastWriteTimeUtc); }
        }
        foreach (var dir in new DirectoryInfo(from).EnumerateDirectories("*", SearchOption.AllDirectories).Where(d => d.LinkTarget is null))
            File.SetUnixFileMode(Path.Combine(to, Path.GetRelativePath(from, dir.FullName)), dir.UnixFileMode);
    }

    public virtual void Dispose()
    {
        Ps.Dispose();
        Temp.Dispose();
    }
}
