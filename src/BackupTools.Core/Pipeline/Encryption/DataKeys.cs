using System.Security.Cryptography;
using System.Text;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Pipeline.Encryption;

public static class DataKeys
{
    /// <summary>A fresh random 256-bit data key for one backup.</summary>
    public static byte[] NewDataKey() => RandomNumberGenerator.GetBytes(32);
}

/// <summary>
/// Wraps a backup's data key with a key-encryption key (AES-256-GCM, random nonce). The backup id is the
/// associated data, so a wrapped key copied into another manifest does not unwrap.
/// </summary>
public static class DataKeyWrapper
{
    public static string Wrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> dataKey, string associatedData)
    {
        var output = new byte[12 + dataKey.Length + 16];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        using var aes = new AesGcm(kek, 16);
        aes.Encrypt(output.AsSpan(0, 12), dataKey, output.AsSpan(12, dataKey.Length), output.AsSpan(12 + dataKey.Length), Encoding.UTF8.GetBytes(associatedData));
        return Convert.ToBase64String(output);
    }

    public static byte[] Unwrap(ReadOnlySpan<byte> kek, string wrapped, string associatedData)
    {
        byte[] input;
        try { input = Convert.FromBase64String(wrapped); }
        catch (FormatException) { input = []; }
        if (input.Length != 12 + 32 + 16)
            throw new BackupKeyException("DataKeyUnwrapFailed", "The manifest's wrapped data key is malformed.");
        var dataKey = new byte[32];
        using var aes = new AesGcm(kek, 16);
        try
        {
            aes.Decrypt(input.AsSpan(0, 12), input.AsSpan(12, 32), input.AsSpan(44, 16), dataKey, Encoding.UTF8.GetBytes(associatedData));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new BackupKeyException("DataKeyUnwrapFailed",
                "The data key of this backup does not unwrap with the given key (wrong key, or the manifest was altered).",
                "Pass the key file this backup was made with.");
        }
        return dataKey;
    }
}
