using System.Text.Json;
using System.Text.Json.Serialization;
using BackupTools.Core.Errors;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Keys;

/// <summary>
/// Key files: small JSON documents, created 0600 from the first byte and written atomically. "type" says what the
/// file holds: absent or "secret" (version 1: "key" = base64 of 32 bytes), "ecdh-p384-private" ("privateKey" PKCS#8 and
/// "publicKey" SubjectPublicKeyInfo, DER in base64) or "ecdh-p384-public" ("publicKey" and "writerSecret").
/// </summary>
public static class BackupKeyFile
{
    private const string FormatName = "backuptools-key";
    private const string PrivateType = "ecdh-p384-private";
    private const string PublicType = "ecdh-p384-public";

    public static void Write(string path, BackupKey key, bool force = false)
    {
        var full = CheckWritable(path, force);
        var temp = Stage(full, key);
        try { File.Move(temp, full, overwrite: true); }
        finally { DeleteIfLeft(temp); }
    }

    /// <summary>
    /// Writes a key pair's private key file and its public key file without leaving half a pair: both paths are checked
    /// and both files written in full (0600, flushed to disk) beside their targets before either is renamed into place.
    /// The private file goes in first: a crash between the two renames leaves a private key whose public file
    /// -ExportPublicKey writes again, never a public key that hosts would encrypt backups to that nobody can read.
    /// </summary>
    public static void WritePair(string privatePath, string publicPath, BackupKey pair, bool force = false)
    {
        if (pair.Kind != BackupKeyKind.KeyPair) throw new ArgumentException("a key pair with its private key is required", nameof(pair));
        var privateFull = CheckWritable(privatePath, force);
        var publicFull = CheckWritable(publicPath, force, "PublicKeyPath");
        CheckSeparate(privateFull, publicFull);
        var privateTemp = Stage(privateFull, pair);
        string? publicTemp = null;
        try
        {
            publicTemp = Stage(publicFull, pair.PublicHalf());
            var privateIsNew = !File.Exists(privateFull);
            File.Move(privateTemp, privateFull, overwrite: true);
            try { File.Move(publicTemp, publicFull, overwrite: true); }
            catch when (privateIsNew)
            {
                File.Delete(privateFull); // a private key no public file matches: nothing was encrypted to it yet
                throw;
            }
        }
        finally
        {
            DeleteIfLeft(privateTemp);
            if (publicTemp != null) DeleteIfLeft(publicTemp);
        }
    }

    /// <summary>Writes the public key file of the key pair read from <paramref name="privatePath"/> (never over that file).</summary>
    public static void WritePublicHalf(string privatePath, string publicPath, BackupKey pair, bool force = false)
    {
        if (pair.Kind != BackupKeyKind.KeyPair) throw new ArgumentException("a key pair with its private key is required", nameof(pair));
        CheckSeparate(Path.GetFullPath(privatePath), Path.GetFullPath(publicPath));
        Write(publicPath, pair.PublicHalf(), force);
    }

    private static void CheckSeparate(string privateFull, string publicFull)
    {
        if (string.Equals(privateFull, publicFull, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
            throw new BackupInputException("KeyPairPathsSame", "PublicKeyPath", $"it names the private key file '{privateFull}' too; the public key file would replace the private key.",
                "Give the public key file its own path, or leave -PublicKeyPath out (default: <name>.public<extension>).");
    }

    /// <summary>The public key file's default path: &lt;private file without extension&gt;.public&lt;extension&gt;, in the same folder.</summary>
    public static string DefaultPublicPath(string privatePath) =>
        Path.Combine(Path.GetDirectoryName(privatePath)!, Path.GetFileNameWithoutExtension(privatePath) + ".public" + Path.GetExtension(privatePath));

    /// <summary>Writes the key's document in full to a private temp file next to <paramref name="full"/>; returns the temp file's path.</summary>
    private static string Stage(string full, BackupKey key)
    {
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using var stream = PrivateFileSystem.CreateFile(temp, FileMode.CreateNew);
            JsonSerializer.Serialize(stream, ToDocument(key), new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull });
            stream.Flush(flushToDisk: true);
            return temp;
        }
        catch
        {
            DeleteIfLeft(temp);
            throw;
        }
    }

    private static void DeleteIfLeft(string temp)
    {
        if (File.Exists(temp)) File.Delete(temp);
    }

    /// <summary>Checks that a key file may be written at path (folder exists, no file there unless forced); returns the full path.</summary>
    public static string CheckWritable(string path, bool force, string parameter = "Path")
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir))
            throw new BackupInputException("KeyFileFolderMissing", parameter, $"the folder '{dir}' does not exist.", "Create it first (private to the backup user).");
        if (Directory.Exists(full))
            throw new BackupInputException("KeyFileIsDirectory", parameter, $"'{full}' is a directory.", "Give the path of the key file to create, e.g. a new file name inside that folder.");
        if (File.Exists(full) && !force)
            throw new BackupInputException("KeyFileExists", parameter, $"'{full}' already exists; overwriting it would make backups made with that key unreadable.",
                "Choose another path, or pass -Force if you really mean to replace it.");
        return full;
    }

    private static KeyDocument ToDocument(BackupKey key) => key.Kind switch
    {
        BackupKeyKind.Secret => new KeyDocument(FormatName, 1, key.Id, key.CreatedAt, key.ToBase64()) { Name = key.Name },
        BackupKeyKind.KeyPair => new KeyDocument(FormatName, 2, key.Id, key.CreatedAt, null)
        {
            Type = PrivateType, Name = key.Name,
            PublicKey = Convert.ToBase64String(key.PublicKeyDer), PrivateKey = Convert.ToBase64String(key.PrivateKeyDer),
        },
        _ => new KeyDocument(FormatName, 2, key.Id, key.CreatedAt, null)
        {
            Type = PublicType, Name = key.Name, PublicKey = Convert.ToBase64String(key.PublicKeyDer),
            WriterSecret = key.HasWriterSecret ? Convert.ToBase64String(key.WriterSecret) : null,
        },
    };

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
        var malformed = new BackupKeyException("KeyFileMalformed", $"'{full}' is not a BackupTools key file.", "Pass a file written by New-BackupKey.");
        if (document is null || document.Format != FormatName) throw malformed;
        var origin = "file:" + full;
        var name = BackupKey.ValidName(document.Name);
        var key = document.Type switch
        {
            null or "secret" => BackupKey.FromBase64(document.Key ?? throw malformed, origin, document.CreatedAt, name),
            PrivateType => BackupKey.FromDer(Der(document.PublicKey, malformed), Der(document.PrivateKey, malformed), origin, document.CreatedAt, name),
            PublicType => BackupKey.FromDer(Der(document.PublicKey, malformed), null, origin, document.CreatedAt, name,
                document.WriterSecret is null ? null : Der(document.WriterSecret, malformed)),
            _ => throw new BackupKeyException("KeyFileMalformed", $"'{full}' holds a key of type '{document.Type}', which this version does not know.", "Upgrade BackupTools."),
        };
        if (document.Id != null && document.Id != key.Id)
            throw new BackupKeyException("KeyFileMalformed", $"'{full}' names key id {document.Id} but its key has id {key.Id}; the file was edited.");
        return key;
    }

    private static byte[] Der(string? base64, Exception malformed)
    {
        try { return Convert.FromBase64String(base64 ?? throw malformed); }
        catch (FormatException) { throw malformed; }
    }

    private sealed record KeyDocument(
        [property: JsonPropertyName("format")] string Format,
        [property: JsonPropertyName("version")] int Version,
        [property: JsonPropertyName("id")] string? Id,
        [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
        [property: JsonPropertyName("key")] string? Key)
    {
        [JsonPropertyName("type")] public string? Type { get; init; }
        [JsonPropertyName("name")] public string? Name { get; init; }
        [JsonPropertyName("publicKey")] public string? PublicKey { get; init; }
        [JsonPropertyName("privateKey")] public string? PrivateKey { get; init; }
        /// <summary>Public key files: the pair's writer secret (see BackupKey.WriterSecret); absent in files of older versions.</summary>
        [JsonPropertyName("writerSecret")] public string? WriterSecret { get; init; }
    }
}
