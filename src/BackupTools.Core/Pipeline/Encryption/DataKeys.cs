using System.Security.Cryptography;
using System.Text;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;

namespace BackupTools.Core.Pipeline.Encryption;

public static class DataKeys
{
    /// <summary>A fresh random 256-bit data key for one backup.</summary>
    public static byte[] NewDataKey() => RandomNumberGenerator.GetBytes(32);
}

/// <summary>
/// Wraps a backup's data key with a key-encryption key (AES-256-GCM, random nonce). The backup id is the
/// associated data, so a wrapped key copied into another manifest does not unwrap. The <see cref="BackupKey"/>
/// overloads also wrap to the public half of a key pair (<see cref="EcdhKeyWrap"/>); use them for new code.
/// </summary>
public static class DataKeyWrapper
{
    public static string Wrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> dataKey, string associatedData) =>
        Convert.ToBase64String(SealWithKek(kek, dataKey, associatedData));

    public static byte[] Unwrap(ReadOnlySpan<byte> kek, string wrapped, string associatedData)
    {
        byte[] input;
        try { input = Convert.FromBase64String(wrapped); }
        catch (FormatException) { input = []; }
        return OpenWithKek(kek, input, associatedData);
    }

    /// <summary>Wraps with any key: a secret key as above, a key pair or public key with ECDH P-384 ("ecdh-p384:…").</summary>
    public static string Wrap(BackupKey key, ReadOnlySpan<byte> dataKey, string associatedData) => key.Kind == BackupKeyKind.Secret
        ? Wrap(key.Material, dataKey, associatedData)
        : EcdhKeyWrap.Wrap(key, dataKey, associatedData);

    /// <summary>Unwraps with any key that can read; a public key gets PrivateKeyRequired naming the key.</summary>
    public static byte[] Unwrap(BackupKey key, string wrapped, string associatedData)
    {
        if (!key.CanRead) throw KeyErrors.PrivateKeyRequired(key, associatedData);
        var isEcdh = EcdhKeyWrap.IsEcdh(wrapped);
        if (isEcdh != (key.Kind == BackupKeyKind.KeyPair))
            throw new BackupKeyException("DataKeyUnwrapFailed", $"The wrapped data key of {associatedData} was not made with key {key.Describe()} (wrong kind of key).",
                "Pass the key file this backup was made with.");
        return isEcdh ? EcdhKeyWrap.Unwrap(key, wrapped, associatedData) : Unwrap(key.Material, wrapped, associatedData);
    }

    /// <summary>nonce(12) ‖ ciphertext(32) ‖ tag(16) of AES-256-GCM under the key-encryption key.</summary>
    internal static byte[] SealWithKek(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> dataKey, string associatedData)
    {
        var output = new byte[12 + dataKey.Length + 16];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        using var aes = new AesGcm(kek, 16);
        aes.Encrypt(output.AsSpan(0, 12), dataKey, output.AsSpan(12, dataKey.Length), output.AsSpan(12 + dataKey.Length), Encoding.UTF8.GetBytes(associatedData));
        return output;
    }

    internal static byte[] OpenWithKek(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> input, string associatedData)
    {
        if (input.Length != 12 + 32 + 16)
            throw new BackupKeyException("DataKeyUnwrapFailed", "The manifest's wrapped data key is malformed.");
        var dataKey = new byte[32];
        using var aes = new AesGcm(kek, 16);
        try
        {
            aes.Decrypt(input[..12], input.Slice(12, 32), input.Slice(44, 16), dataKey, Encoding.UTF8.GetBytes(associatedData));
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
