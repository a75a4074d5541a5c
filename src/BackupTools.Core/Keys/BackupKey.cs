using System.Security.Cryptography;
using System.Text;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Keys;

/// <summary>
/// A 256-bit key-encryption key. Its id is derived from the material — "k-" + the first 8 bytes (hex) of
/// HMAC-SHA256(key, "BackupTools key id v1") — so the same key has the same id whether it comes from a
/// file, the environment or a parameter, and the id reveals nothing usable about the key.
/// </summary>
public sealed class BackupKey
{
    private readonly byte[] _material;

    private BackupKey(byte[] material, DateTimeOffset createdAt, string origin)
    {
        _material = material;
        CreatedAt = createdAt;
        Origin = origin;
        Id = DeriveId(material);
    }

    public string Id { get; }
    public DateTimeOffset CreatedAt { get; }
    /// <summary>Where the key came from ("file:/path", "env:BACKUPTOOLS_KEY", "parameter"); never the key.</summary>
    public string Origin { get; }
    public ReadOnlySpan<byte> Material => _material;

    public static BackupKey Generate() => new(RandomNumberGenerator.GetBytes(32), DateTimeOffset.UtcNow, "generated");

    public static BackupKey FromBase64(string base64, string origin, DateTimeOffset? createdAt = null)
    {
        byte[] material;
        try { material = Convert.FromBase64String(base64.Trim()); }
        catch (FormatException) { material = []; }
        if (material.Length != 32)
            throw new BackupKeyException("KeyMalformed", $"The key from {origin} is not a base64-encoded 256-bit key.",
                "Create keys with New-BackupKey and pass the key file, or the 'key' value from one.");
        return new BackupKey(material, createdAt ?? DateTimeOffset.MinValue, origin);
    }

    internal string ToBase64() => Convert.ToBase64String(_material);

    public static string DeriveId(ReadOnlySpan<byte> material)
    {
        var mac = HMACSHA256.HashData(material, Encoding.ASCII.GetBytes("BackupTools key id v1"));
        return "k-" + Convert.ToHexString(mac, 0, 8).ToLowerInvariant();
    }

    public override string ToString() => $"{Id} ({Origin})";
}
