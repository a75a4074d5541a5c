using BackupTools.Core.Errors;

namespace BackupTools.Core.Keys;

/// <summary>Where keys come from: files, base64 texts (from a SecureString parameter), and the environment.</summary>
public sealed record KeySources(IReadOnlyList<string> KeyFiles, IReadOnlyList<string> Base64Keys, bool UseEnvironment);

/// <summary>
/// Several keys at once: the newest encrypts new backups (a public key too), any key that can read decrypts by id. Keys from key files
/// carry their creation time; keys given as raw text have none and rank oldest, so a key file wins for
/// encryption unless only raw keys were given (then the last one given encrypts).
/// </summary>
public sealed class BackupKeyRing
{
    public const string KeyVariable = "BACKUPTOOLS_KEY";
    public const string KeyFileVariable = "BACKUPTOOLS_KEY_FILE";
    private readonly List<BackupKey> _keys = new();

    public IReadOnlyList<BackupKey> Keys => _keys;
    public bool IsEmpty => _keys.Count == 0;

    /// <summary>Adds a key once per id; a private key file replaces the public half of the same pair.</summary>
    public void Add(BackupKey key)
    {
        var index = _keys.FindIndex(k => k.Id == key.Id);
        if (index < 0) _keys.Add(key);
        else if (!_keys[index].CanRead && key.CanRead) _keys[index] = key;
    }

    /// <summary>The key new backups are encrypted with: newest by creation time, ties to the last added.</summary>
    public BackupKey Current => _keys.Count == 0
        ? throw new BackupKeyException("KeyRingEmpty", "No key was given.", "Pass -KeyFile/-Key, or set BACKUPTOOLS_KEY or BACKUPTOOLS_KEY_FILE.")
        : _keys.Select((k, i) => (k, i)).OrderBy(p => p.k.CreatedAt).ThenBy(p => p.i).Last().k;

    public bool TryFind(string keyId, out BackupKey key)
    {
        key = _keys.FirstOrDefault(k => k.Id == keyId)!;
        return key != null;
    }

    public BackupKey Find(string keyId) => TryFind(keyId, out var key) ? key
        : throw new BackupKeyException("KeyNotInKeyRing",
            $"The backup needs key {keyId}, which is not among the keys given ({(_keys.Count == 0 ? "none" : string.Join(", ", _keys.Select(k => k.Id)))}).",
            $"Pass the key file whose id is {keyId} (New-BackupKey printed it; Get-Backup shows KeyId).");

    /// <summary>A key that can read (unwrap) by id; a public key of that id gets PrivateKeyRequired naming the pair.</summary>
    public BackupKey FindReader(string keyId, string backupId)
    {
        var key = Find(keyId);
        return key.CanRead ? key : throw KeyErrors.PrivateKeyRequired(key, backupId);
    }

    public static BackupKeyRing Load(KeySources sources, Action<string>? warn = null)
    {
        var ring = new BackupKeyRing();
        if (sources.UseEnvironment)
        {
            foreach (var path in Split(Environment.GetEnvironmentVariable(KeyFileVariable), Path.PathSeparator))
                ring.Add(BackupKeyFile.Read(path, warn));
            foreach (var text in Split(Environment.GetEnvironmentVariable(KeyVariable), ',', ' ', '\n', '\t', '\r'))
                ring.Add(BackupKey.FromBase64(text, "env:" + KeyVariable));
        }
        foreach (var path in sources.KeyFiles) ring.Add(BackupKeyFile.Read(path, warn));
        foreach (var text in sources.Base64Keys) ring.Add(BackupKey.FromBase64(text, "parameter -Key"));
        return ring;
    }

    private static IEnumerable<string> Split(string? value, params char[] separators) =>
        string.IsNullOrWhiteSpace(value) ? [] : value.Split(separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
