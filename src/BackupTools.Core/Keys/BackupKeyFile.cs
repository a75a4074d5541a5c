using System.Text.Json;
using System.Text.Json.Serialization;
using BackupTools.Core.Errors;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Keys;

/// <summary>Key files: small JSON documents, created 0600 from the first byte and written atomically.</summary>
public static class BackupKeyFile
{
    private const string FormatName = "backuptools-key";

    public static void Write(string path, BackupKey key, bool force = false)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir))
            throw new BackupInputException("KeyFileFolderMissing", "Path", $"the folder '{dir}' does not exist.", "Create it first (private to the backup user).");
        if (Directory.Exists(full))
            throw new BackupInputException("KeyFileIsDirectory", "Path", $"'{full}' is a directory.", "Give the path of the key file to create, e.g. a new file name inside that folder.");
        if (File.Exists(full) && !force)
            throw new BackupInputException("KeyFileExists", "Path", $"'{full}' already exists; overwriting it would make backups made with that key unreadable.",
                "Choose another path, or pass -Force if you really mean to replace it.");
        var document = new KeyDocument(FormatName, 1, key.Id, key.CreatedAt, key.ToBase64());
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = PrivateFileSystem.CreateFile(temp, FileMode.CreateNew))
            {
                JsonSerializer.Serialize(stream, document, new JsonSerializerOptions { WriteIndented = true });
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public static BackupKey Read(string path, Action<string>? warn = null)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new BackupKeyException("KeyFileIsDirectory", $"'{full}' is a directory, not a key file.",
                "Pass the key file itself (-KeyFile / BACKUPTOOLS_KEY_FILE), e.g. a file in that folder written by New-BackupKey.");
        if (!File.Exists(full))
            throw new BackupKeyException("KeyFileNotFound", $"Key file '{full}' does not exist.", "Check -KeyFile / BACKUPTOOLS_KEY_FILE, or create one with New-BackupKey.");
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(full) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            warn?.Invoke($"Key file '{full}' is readable by other users; make it private: chmod 600 '{full}'.");
        KeyDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<KeyDocument>(File.ReadAllBytes(full));
        }
        catch (JsonException)
        {
            document = null;
        }
        if (document is null || document.Format != FormatName || document.Key is null)
            throw new BackupKeyException("KeyFileMalformed", $"'{full}' is not a BackupTools key file.", "Pass a file written by New-BackupKey.");
        var key = BackupKey.FromBase64(document.Key, "file:" + full, document.CreatedAt);
        if (document.Id != null && document.Id != key.Id)
            throw new BackupKeyException("KeyFileMalformed", $"'{full}' names key id {document.Id} but its key has id {key.Id}; the file was edited.");
        return key;
    }

    private sealed record KeyDocument(
        [property: JsonPropertyName("format")] string Format,
        [property: JsonPropertyName("version")] int Version,
        [property: JsonPropertyName("id")] string? Id,
        [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
        [property: JsonPropertyName("key")] string? Key);
}
