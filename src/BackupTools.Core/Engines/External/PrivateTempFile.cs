using BackupTools.Core.Storage;

namespace BackupTools.Core.Engines.External;

/// <summary>A 0600 temp file for a secret a tool must read (a passfile, a defaults file), deleted on Dispose.</summary>
public sealed class PrivateTempFile : IDisposable
{
    public PrivateTempFile(string content, string suffix = ".tmp")
    {
        var dir = Path.Combine(Path.GetTempPath(), "backuptools-" + Environment.UserName);
        PrivateFileSystem.CreateDirectory(dir);
        FilePath = System.IO.Path.Combine(dir, Guid.NewGuid().ToString("N") + suffix);
        using var stream = PrivateFileSystem.CreateFile(FilePath, FileMode.CreateNew);
        stream.Write(System.Text.Encoding.UTF8.GetBytes(content));
    }

    public string FilePath { get; }

    public void Dispose()
    {
        try { File.Delete(FilePath); } catch (IOException) { }
    }
}
