using System.Security.Cryptography;
using System.Text;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Keys;

/// <summary>What a key can do: a secret key and the private half of a pair both write and read backups; a public key only writes.</summary>
public enum BackupKeyKind
{
    /// <summary>A 256-bit symmetric key-encryption key.</summary>
    Secret,
    /// <summary>An ECDH P-384 key pair (private key file): writes and reads.</summary>
    KeyPair,
    /// <summary>The public half of a key pair: wraps data keys of new backups, cannot unwrap any.</summary>
    PublicKey,
}

/// <summary>
/// A key-encryption key. A secret key's id is "k-" + the first 8 bytes (hex) of HMAC-SHA256(key, "BackupTools key id
/// v1"); a key pair's is "p-" + the first 8 bytes of SHA-256("BackupTools public key id v1\0" ‖ public key DER), so
/// both halves of a pair share one id. The same key has the same id wherever it comes from, and the id reveals
/// nothing usable about the key.
/// </summary>
public sealed class BackupKey
{
    private readonly byte[]? _secret;
    private readonly byte[]? _publicKey;   // SubjectPublicKeyInfo DER (pairs)
    private readonly byte[]? _privateKey;  // PKCS#8 DER (the private half of a pair)
    private byte[]? _writerSecret;         // pairs: derived from the private key, or read from a public key file

    private BackupKey(BackupKeyKind kind, byte[]? secret, byte[]? publicKey, byte[]? privateKey, DateTimeOffset createdAt, string origin, string? name, byte[]? writerSecret = null)
    {
        Kind = kind;
        _secret = secret;
        _publicKey = publicKey;
        _privateKey = privateKey;
        _writerSecret = writerSecret;
        CreatedAt = createdAt;
        Origin = origin;
        Name = name;
        Id = secret != null ? DeriveId(secret) : DerivePublicId(publicKey!);
    }

    public string Id { get; }
    public BackupKeyKind Kind { get; }
    /// <summary>A name given at creation (New-BackupKey -Name), shown in errors that ask for this key; may be null.</summary>
    public string? Name { get; }
    public DateTimeOffset CreatedAt { get; }
    /// <summary>The creation time when a key file recorded one; null for raw keys (records store nothing rather than MinValue).</summary>
    public DateTimeOffset? KnownCreatedAt => CreatedAt == DateTimeOffset.MinValue ? null : CreatedAt;
    /// <summary>Where the key came from ("file:/path", "env:BACKUPTOOLS_KEY", "parameter"); never the key.</summary>
    public string Origin { get; }
    /// <summary>True when this key can unwrap data keys (read backups); a public key cannot.</summary>
    public bool CanRead => Kind != BackupKeyKind.PublicKey;

    /// <summary>The secret key's bytes; only secret keys have them (pairs wrap through <see cref="Pipeline.Encryption.DataKeyWrapper"/>).</summary>
    public ReadOnlySpan<byte> Material => _secret ?? throw new BackupKeyException("KeyIsNotSecret",
        $"Key {Describe()} is a key pair, not a secret key.", "Wrap and unwrap with DataKeyWrapper's BackupKey overloads.");

    internal ReadOnlySpan<byte> PublicKeyDer => _publicKey ?? throw new InvalidOperationException("not a key pair");

    /// <summary>
    /// False only for a public key file written before writer secrets existed: it can wrap data keys, but cannot name
    /// chunks or read the metadata writers need (format-2 index, cell file-state indexes). See <see cref="WriterSecret"/>.
    /// </summary>
    public bool HasWriterSecret => Kind != BackupKeyKind.PublicKey || _writerSecret != null;

    /// <summary>
    /// A key pair's writer secret: the symmetric key under which writers wrap what they must read back (the chunk secret,
    /// index files, cell file-state indexes) — never content. Derived from the private key (HKDF-SHA256 over the private
    /// scalar, the public key in the info), so every private key file has it; a public key file carries a copy.
    /// </summary>
    internal ReadOnlySpan<byte> WriterSecret => Kind switch
    {
        BackupKeyKind.Secret => throw new InvalidOperationException("a secret key wraps with its own material"),
        BackupKeyKind.KeyPair => _writerSecret ??= DeriveWriterSecret(_privateKey!, _publicKey!),
        _ => _writerSecret ?? throw KeyErrors.WriterSecretMissing(this),
    };

    private static byte[] DeriveWriterSecret(byte[] privateKey, byte[] publicKey)
    {
        using var ecdh = ECDiffieHellman.Create();
        ecdh.ImportPkcs8PrivateKey(privateKey, out _);
        var scalar = ecdh.ExportParameters(includePrivateParameters: true).D!;
        try { return HKDF.DeriveKey(HashAlgorithmName.SHA256, scalar, 32, [], [.. Encoding.ASCII.GetBytes("BackupTools writer secret v1\0"), .. publicKey]); }
        finally { CryptographicOperations.ZeroMemory(scalar); }
    }
    internal ReadOnlySpan<byte> PrivateKeyDer => _privateKey ?? throw new InvalidOperationException("no private key");

    /// <summary>"p-… ('name')" — how errors name a key.</summary>
    public string Describe() => Name is null ? Id : $"{Id} ('{Name}')";

    public static BackupKey Generate(string? name = null) => new(BackupKeyKind.Secret, RandomNumberGenerator.GetBytes(32), null, null, DateTimeOffset.UtcNow, "generated", ValidName(name));

    /// <summary>A fresh ECDH P-384 key pair; write it with BackupKeyFile and hand only <see cref="PublicHalf"/> to backup hosts.</summary>
    public static BackupKey GenerateKeyPair(string? name = null)
    {
        using var ecdh = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        return new BackupKey(BackupKeyKind.KeyPair, null, ecdh.ExportSubjectPublicKeyInfo(), ecdh.ExportPkcs8PrivateKey(), DateTimeOffset.UtcNow, "generated", ValidName(name));
    }

    /// <summary>The public half of a key pair (same id, same name): it can write backups, never read them.</summary>
    public BackupKey PublicHalf() => Kind == BackupKeyKind.Secret
        ? throw new BackupKeyException("KeyIsNotSecret", $"Key {Id} is a secret key; it has no public half.", "Create a key pair with New-BackupKey -KeyPair.")
        : new BackupKey(BackupKeyKind.PublicKey, null, _publicKey, null, CreatedAt, Origin, Name, HasWriterSecret ? WriterSecret.ToArray() : null);

    public static BackupKey FromBase64(string base64, string origin, DateTimeOffset? createdAt = null, string? name = null)
    {
        byte[] material;
        try { material = Convert.FromBase64String(base64.Trim()); }
        catch (FormatException) { material = []; }
        if (material.Length != 32)
            throw new BackupKeyException("KeyMalformed", $"The key from {origin} is not a base64-encoded 256-bit key.",
                "Create keys with New-BackupKey and pass the key file, or the 'key' value from one.");
        return new BackupKey(BackupKeyKind.Secret, material, null, null, createdAt ?? DateTimeOffset.MinValue, origin, name);
    }

    /// <summary>A key pair or public key from its DER forms; the private key must belong to the public key.</summary>
    internal static BackupKey FromDer(byte[] publicKey, byte[]? privateKey, string origin, DateTimeOffset createdAt, string? name, byte[]? writerSecret = null)
    {
        if (writerSecret is { Length: not 32 })
            throw new BackupKeyException("KeyFileMalformed", $"The writer secret in {origin} is not 256 bits; the file was edited.", "Write the public key file again: New-BackupKey -Path <private key file> -ExportPublicKey.");
        try
        {
            using var pub = ECDiffieHellman.Create();
            pub.ImportSubjectPublicKeyInfo(publicKey, out _);
            if (pub.KeySize != 384) throw new CryptographicException("not a P-384 key");
            if (privateKey != null)
            {
                using var pair = ECDiffieHellman.Create();
                pair.ImportPkcs8PrivateKey(privateKey, out _);
                if (!pair.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(publicKey))
                    throw new BackupKeyException("KeyFileMalformed", $"The private key in {origin} does not belong to its public key; the file was edited.");
            }
        }
        catch (CryptographicException)
        {
            throw new BackupKeyException("KeyMalformed", $"The key pair from {origin} is not a valid ECDH P-384 key.", "Pass a file written by New-BackupKey -KeyPair.");
        }
        return new BackupKey(privateKey is null ? BackupKeyKind.PublicKey : BackupKeyKind.KeyPair, null, publicKey, privateKey, createdAt, origin, name, privateKey is null ? writerSecret : null);
    }

    internal string ToBase64() => Convert.ToBase64String(Material);

    public static string DeriveId(ReadOnlySpan<byte> material)
    {
        var mac = HMACSHA256.HashData(material, Encoding.ASCII.GetBytes("BackupTools key id v1"));
        return "k-" + Convert.ToHexString(mac, 0, 8).ToLowerInvariant();
    }

    private static string DerivePublicId(ReadOnlySpan<byte> publicKey)
    {
        var label = Encoding.ASCII.GetBytes("BackupTools public key id v1\0");
        var hash = SHA256.HashData([.. label, .. publicKey]);
        return "p-" + Convert.ToHexString(hash, 0, 8).ToLowerInvariant();
    }

    /// <summary>Names travel into manifests and errors: short, printable, no quotes.</summary>
    internal static string? ValidName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        name = name.Trim();
        if (name.Length > 64 || name.Any(c => char.IsControl(c) || c is '\'' or '"'))
            throw new BackupInputException("KeyNameInvalid", "Name", $"'{name}' is not a usable key name.", "Use up to 64 printable characters without quotes, e.g. prod-2026q4.");
        return name;
    }

    public override string ToString() => $"{Describe()} ({Kind}, {Origin})";
}
